;; selfhost's own extended-const script: integer add/sub/mul in constant expressions (globals,
;; data and element offsets). Written for selfhost; run by tests/test_eh_suite.py.

(module
  (global $base (import "spectest" "global_i32") i32)
  (global (export "g1") i32 (i32.add (global.get $base) (i32.const 10)))
  (global (export "g2") i32 (i32.mul (i32.sub (i32.const 3) (i32.const 5)) (i32.const 7)))
  (global (export "g3") i64 (i64.mul (i64.const 0x100000000) (i64.const 0x100000001)))
  (global (export "g4") i64 (i64.sub (i64.const 0) (i64.const 1)))
  (memory 1)
  (data (i32.add (i32.const 100) (i32.mul (i32.const 2) (i32.const 3))) "\2a")
  (table 10 funcref)
  (func $f (result i32) (i32.const 7))
  (elem (i32.sub (i32.const 9) (i32.const 1)) $f)
  (func (export "byte") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "call") (param i32) (result i32) (call_indirect (result i32) (local.get 0)))
)
(assert_return (get "g1") (i32.const 676))
(assert_return (get "g2") (i32.const -14))
(assert_return (get "g3") (i64.const 0x100000000))
(assert_return (get "g4") (i64.const -1))
(assert_return (invoke "byte" (i32.const 106)) (i32.const 42))
(assert_return (invoke "call" (i32.const 8)) (i32.const 7))

(assert_invalid (module (global i32 (i32.add (i32.const 1) (i64.const 2)))) "type mismatch")
(assert_invalid (module (global i32 (i32.add (i32.const 1)))) "type mismatch")
(assert_invalid (module (global i32 (i32.div_u (i32.const 1) (i32.const 1)))) "constant expression required")
(assert_invalid (module (global i64 (i64.add (i64.const 1) (i64.const 1)) (i64.const 1))) "type mismatch")
