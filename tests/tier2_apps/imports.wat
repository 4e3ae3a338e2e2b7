;; Calls of an import from loops and recursion, with values below the arguments: with
;; instrument(..., import_unwind={0}) every call of env.tick unwinds, and the host makes it.
(module
  (import "env" "tick" (func $tick (param i32 i64) (result i64)))
  (memory (export "memory") 1)
  (func $rec (param $n i32) (param $h i64) (result i64)
    local.get $h
    local.get $n
    i64.extend_i32_u
    local.get $n
    local.get $h
    call $tick                       ;; [h, n] below the arguments
    i64.add
    i64.xor
    local.get $n
    i32.const 2
    i32.lt_u
    if (param i64) (result i64)
      return
    end
    local.set $h
    local.get $n
    i32.const 1
    i32.sub
    local.get $h
    call $rec
    local.get $n
    i32.const 2
    i32.sub
    local.get $h
    call $rec
    i64.add)
  (func (export "work") (param $n i32) (result i64) (local $i i32) (local $h i64)
    block $done
      loop $l
        local.get $i
        local.get $n
        i32.ge_u
        br_if $done
        local.get $h
        i64.const 31
        i64.mul
        local.get $i
        local.get $h
        call $tick
        i64.add
        local.set $h
        i32.const 8
        local.get $i
        i64.extend_i32_u
        i64.store
        local.get $i
        i32.const 1
        i32.add
        local.set $i
        br $l
      end
    end
    local.get $n
    i32.const 7
    i32.and
    local.get $h
    call $rec
    local.get $h
    i64.add))
