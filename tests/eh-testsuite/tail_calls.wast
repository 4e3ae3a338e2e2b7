;; selfhost's own tail-call script (return_call, return_call_indirect): constant call depth,
;; calls to imports, other instances and through tables, with exceptions and try_table.
;; Written for selfhost; run by tests/test_eh_suite.py through wast2json.

(module $lib
  (func (export "twice") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2)))
)
(register "lib" $lib)

(module
  (import "spectest" "print_i32" (func $print (param i32)))
  (import "lib" "twice" (func $twice (param i32) (result i32)))
  (type $ii (func (param i64 i64) (result i64)))
  (table 2 funcref)
  (elem (i32.const 0) $even $odd)
  (tag $e (param i32))

  ;; a million tail calls: far deeper than any call stack
  (func $count (export "count") (param $n i64) (param $acc i64) (result i64)
    (if (result i64) (i64.eqz (local.get $n))
      (then (local.get $acc))
      (else (return_call $count (i64.sub (local.get $n) (i64.const 1))
                                (i64.add (local.get $acc) (local.get $n))))
    )
  )
  (func $even (param $n i64) (param $x i64) (result i64)
    (if (result i64) (i64.eqz (local.get $n)) (then (i64.const 1))
      (else (return_call_indirect (type $ii) (i64.sub (local.get $n) (i64.const 1))
                                  (local.get $x) (i32.const 1))))
  )
  (func $odd (param $n i64) (param $x i64) (result i64)
    (if (result i64) (i64.eqz (local.get $n)) (then (i64.const 0))
      (else (return_call_indirect (type $ii) (i64.sub (local.get $n) (i64.const 1))
                                  (local.get $x) (i32.const 0))))
  )
  (func (export "is-even") (param i64) (result i64) (return_call $even (local.get 0) (i64.const 0)))

  (func (export "to-import") (param i32) (result i32) (return_call $twice (local.get 0)))
  (func (export "to-host") (param i32) (return_call $print (local.get 0)))
  (func (export "nested") (param i32) (result i32)
    (i32.add (i32.const 1) (call $tail-twice (local.get 0))))
  (func $tail-twice (param i32) (result i32) (return_call $twice (local.get 0)))

  ;; the frame is gone when the callee runs: its try_table does not catch
  (func $thrower (param i32) (result i32) (throw $e (local.get 0)))
  (func $tail-in-try (param i32) (result i32)
    (block $h (result i32)
      (try_table (result i32) (catch $e $h) (return_call $thrower (local.get 0)))
    )
    (i32.const 1000) (i32.add)
  )
  (func (export "caught-by-caller") (param i32) (result i32)
    (block $h (result i32)
      (try_table (result i32) (catch $e $h) (call $tail-in-try (local.get 0)))
      (return)
    )
    (i32.const 2000) (i32.add)
  )
  (func (export "indirect-bad-type") (result i32)
    (return_call_indirect (result i32) (i32.const 0)))
  (func (export "indirect-out-of-range") (result i64)
    (return_call_indirect (type $ii) (i64.const 0) (i64.const 0) (i32.const 9)))
)

(assert_return (invoke "count" (i64.const 1000000) (i64.const 0)) (i64.const 500000500000))
(assert_return (invoke "is-even" (i64.const 100001)) (i64.const 0))
(assert_return (invoke "is-even" (i64.const 100000)) (i64.const 1))
(assert_return (invoke "to-import" (i32.const 21)) (i32.const 42))
(assert_return (invoke "to-host" (i32.const 21)))
(assert_return (invoke "nested" (i32.const 5)) (i32.const 11))
(assert_return (invoke "caught-by-caller" (i32.const 3)) (i32.const 2003))
(assert_trap (invoke "indirect-bad-type") "indirect call type mismatch")
(assert_trap (invoke "indirect-out-of-range") "undefined element")

(assert_invalid
  (module (func $f (result i64) (i64.const 0)) (func (result i32) (return_call $f)))
  "type mismatch")
(assert_invalid
  (module (func $f (param i32)) (func (return_call $f)))
  "type mismatch")
(assert_invalid
  (module (func (return_call 5)))
  "unknown function")
(assert_invalid
  (module (table 1 externref) (type $t (func)) (func (return_call_indirect (type $t) (i32.const 0))))
  "type mismatch")
