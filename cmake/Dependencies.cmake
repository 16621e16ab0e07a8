# Every dependency is a Debian package found by CMake; nothing is downloaded or vendored.
find_package(OpenBLAS REQUIRED CONFIG)
add_library(gradlab_blas INTERFACE)
target_include_directories(gradlab_blas SYSTEM INTERFACE ${OpenBLAS_INCLUDE_DIRS})
target_link_libraries(gradlab_blas INTERFACE ${OpenBLAS_LIBRARIES})

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
