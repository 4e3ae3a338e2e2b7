;; A module importing wasi_snapshot_preview1.fd_write twice under two names (legal; what
;; AssemblyScript emits): both imports work and write to stdout.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $write_a (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write_b (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "via import a\n")
  (data (i32.const 32) "via import b\n")
  (func $hot (param $n i32) (result i32) (local $acc i32)
    ;; a loop that an offloading runtime would like to run natively
    (loop $l
      (local.set $acc (i32.add (local.get $acc) (i32.mul (local.get $n) (local.get $n))))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $l (i32.gt_s (local.get $n) (i32.const 0))))
    (local.get $acc))
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 13))
    (drop (call $write_a (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (drop (call $hot (i32.const 200000)))
    (i32.store (i32.const 0) (i32.const 32))
    (drop (call $write_b (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (call $exit (i32.const 5))))
