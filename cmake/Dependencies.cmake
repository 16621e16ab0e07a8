# Every dependency is a Debian package found by CMake; nothing is downloaded or vendored.
find_package(OpenBLAS REQUIRED CONFIG)
add_library(gradlab_blas INTERFACE)
target_include_directories(gradlab_blas SYSTEM INTERFACE ${OpenBLAS_INCLUDE_DIRS})
target_link_libraries(gradlab_blas INTERFACE ${OpenBLAS_LIBRARIES})

# oneDNN (libdnnl-dev) computes float32 products. Its CMake package config also demands OpenCL's
# headers, which the CPU library never uses, so the header and library are looked up directly.
find_path(GRADLAB_DNNL_INCLUDE oneapi/dnnl/dnnl.h REQUIRED)
find_library(GRADLAB_DNNL_LIBRARY NAMES dnnl REQUIRED)
# Debian's oneDNN runs on GNU OpenMP. gradlab calls two of its functions (omp_get_max_threads,
# omp_set_num_threads) to keep each oneDNN call on its calling thread, so it links the same runtime
# by name, whatever the compiler (clang's -fopenmp would bring a second OpenMP runtime).
find_library(GRADLAB_GOMP_LIBRARY NAMES gomp libgomp.so.1 REQUIRED)
target_include_directories(gradlab_blas SYSTEM INTERFACE ${GRADLAB_DNNL_INCLUDE})
target_link_libraries(gradlab_blas INTERFACE ${GRADLAB_DNNL_LIBRARY} ${GRADLAB_GOMP_LIBRARY})

find_package(Threads REQUIRED)
find_package(fmt REQUIRED CONFIG)
find_package(nlohmann_json REQUIRED CONFIG)
find_package(CLI11 REQUIRED CONFIG)
find_package(ZLIB REQUIRED)
if(GRADLAB_BUILD_TESTS)
  find_package(GTest REQUIRED CONFIG)
endif()
if(GRADLAB_BUILD_BENCH)
  find_package(benchmark REQUIRED CONFIG)
endif()

# The Python module is optional: built when Debian's pybind11-dev (and python3-dev) are installed.
# Debian's own python3 is preferred over another one earlier on PATH (pyenv, a virtualenv): it is the
# one with Debian's NumPy and pytest (python3-numpy, python3-pytest), which the module and its tests use.
if(GRADLAB_PYTHON)
  if(NOT DEFINED Python_EXECUTABLE AND EXISTS /usr/bin/python3)
    set(Python_EXECUTABLE /usr/bin/python3 CACHE FILEPATH "The Python the module is built for")
  endif()
  set(PYBIND11_FINDPYTHON ON)
  find_package(Python 3 COMPONENTS Interpreter Development.Module)
  if(Python_FOUND)
    find_package(pybind11 CONFIG)
  endif()
  if(NOT pybind11_FOUND)
    message(STATUS "gradlab: pybind11 or Python's headers not found; the Python module is not built "
                   "(scripts/setup installs pybind11-dev and python3-dev)")
  endif()
endif()

# MPI is optional: with Debian's Open MPI (libopenmpi-dev, openmpi-bin) the gradlab command joins an
# MPI job when started by mpirun or srun and splits a sweep across its ranks (docs/distributed.md);
# without it the command runs on one machine as before.
if(GRADLAB_MPI)
  find_package(MPI COMPONENTS CXX)
  if(NOT MPI_CXX_FOUND)
    message(STATUS "gradlab: MPI not found; `mpirun gradlab sweep` is not built (scripts/setup installs "
                   "libopenmpi-dev and openmpi-bin)")
  endif()
endif()
