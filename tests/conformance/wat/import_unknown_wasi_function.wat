;; A module importing a wasi_snapshot_preview1 function that does not exist: a link error
;; before anything runs (the exit code and that nothing is printed are compared).
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "no_such_function" (func $nope))
  (memory (export "memory") 1)
  (data (i32.const 16) "must not print\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 15))
    (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (call $nope)))
