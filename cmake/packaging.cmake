# Installation layout and the Debian package (CPack DEB). See docs/operations.md.
#
#   cmake --install build --prefix /usr            the files below, under /usr
#   cpack --config build/CPackConfig.cmake          feishu-dirsync_VERSION_ARCH.deb
#
# The example configuration goes to share/feishu-dirsync/dirsync.yaml.example rather than to
# /etc/dirsync: a file in /etc would be a dpkg conffile the admin is expected to edit, and its
# mere presence would satisfy the unit's ConditionPathExists= before anyone configured it. The
# admin copies the example to /etc/dirsync/dirsync.yaml. Documentation goes to
# share/doc/feishu-dirsync, which minimal systems may leave out; nothing the service needs is there.
include(GNUInstallDirs)

# systemd's folders are relative to the prefix (/usr/lib/systemd/system with prefix /usr), never
# to the multiarch libdir.
set(DIRSYNC_UNIT_DIR lib/systemd/system)
set(DIRSYNC_SYSUSERS_DIR lib/sysusers.d)
set(DIRSYNC_TMPFILES_DIR lib/tmpfiles.d)
set(DIRSYNC_DATA_DIR ${CMAKE_INSTALL_DATADIR}/feishu-dirsync)
set(DIRSYNC_DOC_DIR ${CMAKE_INSTALL_DATADIR}/doc/feishu-dirsync)

install(FILES systemd/dirsync.service DESTINATION ${DIRSYNC_UNIT_DIR})
install(FILES systemd/dirsync.sysusers.conf DESTINATION ${DIRSYNC_SYSUSERS_DIR} RENAME dirsync.conf)
install(FILES systemd/dirsync.tmpfiles.conf DESTINATION ${DIRSYNC_TMPFILES_DIR} RENAME dirsync.conf)
install(FILES examples/dirsync-system.yaml DESTINATION ${DIRSYNC_DATA_DIR} RENAME dirsync.yaml.example)
install(FILES docs/dirsync.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES README.md docs/operations.md docs/configuration.md docs/database.md docs/hr-files.md
              docs/emulator.md
        DESTINATION ${DIRSYNC_DOC_DIR})
install(FILES examples/dirsync.yaml examples/tenant.json DESTINATION ${DIRSYNC_DOC_DIR}/examples)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME feishu-dirsync)
set(CPACK_PACKAGE_VENDOR "feishu-dirsync")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "keeps a Feishu (Lark) tenant's directory in step with the HR system")
set(CPACK_PACKAGE_DESCRIPTION "dirsync mirrors a Feishu tenant's directory into SQLite, reads the HR exports \
dropped into an inbox, and creates, updates and removes Feishu users under safety rules. It runs as the \
systemd service dirsync.service. Also contains feishu-emulator, a local stand-in for Feishu's contact API \
for rehearsals.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "feishu-dirsync maintainers <dirsync@example.com>")
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# The runtime libraries (libcpprest, libyaml-cpp, libsqlite3, libphonenumber, ...) come from
# dpkg-shlibdeps; systemd provides systemd-sysusers and systemd-tmpfiles for the maintainer scripts.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "systemd")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "sqlite3")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${PROJECT_SOURCE_DIR}/packaging/deb/postinst
  ${PROJECT_SOURCE_DIR}/packaging/deb/prerm
  ${PROJECT_SOURCE_DIR}/packaging/deb/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
