// Every fd-taking call with an fd that was never open (1234): the errno of each.
#include "common.h"

int main(void) {
    const int fd = 1234;
    char buf[64];
    __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf};
    __wasi_ciovec_t ciov = {(const uint8_t *)"x", 1};
    __wasi_size_t n;
    __wasi_filesize_t pos;
    __wasi_fdstat_t fst;
    __wasi_filestat_t st;
    __wasi_prestat_t pre;
    int out;
    show("fd_advise", __wasi_fd_advise(fd, 0, 0, 0));
    show("fd_allocate", __wasi_fd_allocate(fd, 0, 1));
    show("fd_close", __wasi_fd_close(fd));
    show("fd_datasync", __wasi_fd_datasync(fd));
    show("fd_fdstat_get", __wasi_fd_fdstat_get(fd, &fst));
    show("fd_fdstat_set_flags", __wasi_fd_fdstat_set_flags(fd, 0));
    show("fd_fdstat_set_rights", __wasi_fd_fdstat_set_rights(fd, 0, 0));
    show("fd_filestat_get", __wasi_fd_filestat_get(fd, &st));
    show("fd_filestat_set_size", __wasi_fd_filestat_set_size(fd, 0));
    show("fd_filestat_set_times", __wasi_fd_filestat_set_times(fd, 0, 0, 0));
    show("fd_pread", __wasi_fd_pread(fd, &iov, 1, 0, &n));
    show("fd_prestat_get", __wasi_fd_prestat_get(fd, &pre));
    show("fd_prestat_dir_name", __wasi_fd_prestat_dir_name(fd, (uint8_t *)buf, sizeof buf));
    show("fd_pwrite", __wasi_fd_pwrite(fd, &ciov, 1, 0, &n));
    show("fd_read", __wasi_fd_read(fd, &iov, 1, &n));
    show("fd_readdir", __wasi_fd_readdir(fd, (uint8_t *)buf, sizeof buf, 0, &n));
    show("fd_renumber", __wasi_fd_renumber(fd, 1235));
    show("fd_seek", __wasi_fd_seek(fd, 0, 0, &pos));
    show("fd_sync", __wasi_fd_sync(fd));
    show("fd_tell", __wasi_fd_tell(fd, &pos));
    show("fd_write", __wasi_fd_write(fd, &ciov, 1, &n));
    show("path_create_directory", __wasi_path_create_directory(fd, "x"));
    show("path_filestat_get", __wasi_path_filestat_get(fd, 0, "x", &st));
    show("path_filestat_set_times", __wasi_path_filestat_set_times(fd, 0, "x", 0, 0, 0));
    show("path_link (old)", __wasi_path_link(fd, 0, "x", SANDBOX, "y"));
    show("path_link (new)", __wasi_path_link(SANDBOX, 0, "hello.txt", fd, "y"));
    show("path_open", open_at(fd, "x", 0, 0, 0, 0, 0, &out));
    show("path_readlink", __wasi_path_readlink(fd, "x", (uint8_t *)buf, sizeof buf, &n));
    show("path_remove_directory", __wasi_path_remove_directory(fd, "x"));
    show("path_rename (old)", __wasi_path_rename(fd, "x", SANDBOX, "y"));
    show("path_rename (new)", __wasi_path_rename(SANDBOX, "hello.txt", fd, "y"));
    show("path_symlink", __wasi_path_symlink("x", fd, "y"));
    show("path_unlink_file", __wasi_path_unlink_file(fd, "x"));
    show_file("hello.txt");
    return 0;
}
