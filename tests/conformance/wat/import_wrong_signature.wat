;; fd_write imported with a wrong signature: a link error before anything runs.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (drop (call $write (i32.const 1) (i32.const 0) (i32.const 0)))))
