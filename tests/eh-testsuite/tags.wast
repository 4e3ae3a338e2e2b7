;; selfhost's own exception-handling script: tags across modules (import, export, identity per
;; instance, link-time type checks) and exceptions passing through other instances' frames.
;; Written for selfhost; run by tests/test_eh_suite.py through wast2json.

(module $A
  (tag $e (export "e") (param i32))
  (func (export "throw") (param i32) (throw $e (local.get 0)))
  (func (export "catch") (param $f funcref) (result i32)
    (block $h (result i32)
      (try_table (catch $e $h) (call_indirect (param i32) (i32.const 5) (i32.const 0)))
      (i32.const -1)
    )
  )
  (table (export "tab") 1 funcref)
)
(register "A" $A)

;; the same module text again: a second instance has its own tag
(module $A2
  (tag $e (export "e") (param i32))
  (func (export "throw") (param i32) (throw $e (local.get 0)))
)
(register "A2" $A2)

(module $B
  (tag $ea (import "A" "e") (param i32))
  (func $throw-a (import "A" "throw") (param i32))
  (func $throw-a2 (import "A2" "throw") (param i32))
  (table (import "A" "tab") 1 funcref)
  (tag $own (param i32))

  (func (export "catch-imported") (param i32) (result i32)
    (block $h (result i32)
      (try_table (catch $ea $h) (call $throw-a (local.get 0)))
      (i32.const -1)
    )
  )
  ;; A2's exception has another tag: only the catch_all catches it
  (func (export "other-instance") (result i32)
    (block $all
      (block $h (result i32)
        (try_table (catch $ea $h) (catch_all $all) (call $throw-a2 (i32.const 1)))
        (return (i32.const -1))
      )
      (return (i32.const 1))
    )
    (i32.const 2)
  )
  ;; thrown here with the imported tag, caught by A's own catch through an exported table
  (func $thrower (param i32) (throw $ea (i32.add (local.get 0) (i32.const 100))))
  (elem (i32.const 0) $thrower)
  (func (export "throw-own") (throw $own (i32.const 0)))
)
(assert_return (invoke $B "catch-imported" (i32.const 17)) (i32.const 17))
(assert_return (invoke $B "other-instance") (i32.const 2))
(assert_return (invoke $A "catch" (ref.null func)) (i32.const 105))
(assert_exception (invoke $B "throw-own"))

(module
  (tag (export "t0"))
  (tag (export "t1") (param i64 f64))
  (export "t1-again" (tag 1))
)
(register "T")
(module (import "T" "t0" (tag)) (import "T" "t1" (tag (param i64 f64))) (import "T" "t1-again" (tag $x (param i64 f64))))

(assert_unlinkable
  (module (import "T" "t1" (tag (param i64))))
  "incompatible import type")
(assert_unlinkable
  (module (import "T" "t0" (tag (param i32))))
  "incompatible import type")
(assert_unlinkable
  (module (import "T" "nope" (tag)))
  "unknown import")
(assert_unlinkable
  (module (import "A" "throw" (tag (param i32))))
  "incompatible import type")

(assert_invalid (module (tag (param i32) (result i32))) "non-empty tag result type")
(assert_invalid (module (func (throw 1))) "unknown tag")
(assert_invalid (module (tag) (func (block $l (try_table (catch 3 $l))))) "unknown tag")
(assert_invalid (module (tag) (func (try_table (catch 0 1)))) "unknown label")
(assert_invalid (module (tag) (export "a" (tag 0)) (export "a" (tag 0))) "duplicate export name")
(assert_invalid (module (export "a" (tag 0))) "unknown tag")
