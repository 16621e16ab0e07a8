# `cmake --install build [--prefix DIR]` installs gradlab as a package another project can use:
# the headers, the room libraries, the `gradlab` command, a CMake package config
# (find_package(gradlab) then target_link_libraries(app gradlab::gradlab)) and a pkg-config file.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

get_property(gradlab_rooms GLOBAL PROPERTY GRADLAB_ROOMS)
set(GRADLAB_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/gradlab)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/gradlab TYPE INCLUDE)
install(TARGETS gradlab ${gradlab_rooms} gradlab_blas EXPORT gradlab-targets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS gradlab_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(EXPORT gradlab-targets NAMESPACE gradlab:: DESTINATION ${GRADLAB_CMAKE_DIR})

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/gradlab-config.cmake.in
  ${PROJECT_BINARY_DIR}/gradlab-config.cmake INSTALL_DESTINATION ${GRADLAB_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/gradlab-config-version.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/gradlab-config.cmake ${PROJECT_BINARY_DIR}/gradlab-config-version.cmake
        DESTINATION ${GRADLAB_CMAKE_DIR})

# pkg-config: static libraries, so the link line lists every room, users before what they use (the
# reverse of their declaration order), and the packages they need. The prefix is found from the
# file's own place, so that `cmake --install --prefix DIR` gives a file that is right wherever DIR is.
file(RELATIVE_PATH gradlab_pc_to_prefix /p/${CMAKE_INSTALL_LIBDIR}/pkgconfig /p)
set(gradlab_pc_rooms ${gradlab_rooms})
list(REVERSE gradlab_pc_rooms)
list(TRANSFORM gradlab_pc_rooms PREPEND "-l" OUTPUT_VARIABLE gradlab_pc_libs)
list(JOIN gradlab_pc_libs " " gradlab_pc_libs)
configure_file(${PROJECT_SOURCE_DIR}/cmake/gradlab.pc.in ${PROJECT_BINARY_DIR}/gradlab.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/gradlab.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
