;; Tier 2's hard cases, written by hand (LLVM never makes them): loops and blocks with
;; parameters, values below a construct that holds safe points (the instrumenter copies them
;; into slots), calls with values below their arguments, multi-value calls and recursion,
;; an f32 signalling NaN carried as a loop parameter, safe points inside if/else branches and
;; br_table cases. Every export takes n and returns an i64 checksum.
(module
  (type $two (func (param i32 i32) (result i32 i32)))
  (memory (export "memory") 1)
  (table 4 funcref)
  (elem (i32.const 0) $divmod $swap $divmod $swap)

  (func $divmod (type $two)
    (i32.div_u (local.get 0) (i32.or (local.get 1) (i32.const 1)))
    (i32.rem_u (local.get 0) (i32.or (local.get 1) (i32.const 1))))
  (func $swap (type $two) (local.get 1) (local.get 0))

  ;; spin: a loop that can unwind, used as a callee everywhere
  (func $spin (param $x i32) (param $m i32) (result i32)
    (block $out
      (loop $l
        (br_if $out (i32.eqz (local.get $m)))
        (local.set $x (i32.add (i32.mul (local.get $x) (i32.const 1664525)) (i32.const 1013904223)))
        (local.set $m (i32.sub (local.get $m) (i32.const 1)))
        (br $l)))
    (local.get $x))

;; a loop with parameters (i32 i64) carried through the back-edge; a multi-value call with
  ;; a value below its arguments; an if with parameters inside the loop
  (func (export "mv_loop") (param $n i32) (result i64) (local $t i64)
    i32.const 7
    i64.const 1
    loop $l (param i32 i64) (result i64)
      local.set $t                       ;; the i64 accumulator
      local.get $t
      i64.const 31
      i64.mul
      local.get $t
      i32.wrap_i64
      i32.const 3
      call $divmod                       ;; below its arguments: i32 (from the loop), i64
      i32.add
      i64.extend_i32_u
      i64.add                            ;; [i32 i64]
      local.set $t
      local.get $n
      i32.const 7
      i32.and
      call $spin                         ;; [i32]
      local.get $t                       ;; [i32 i64]
      local.get $n
      i32.const 1
      i32.sub
      local.tee $n
      if (param i32 i64) (result i32 i64)
        i64.const 0x5555
        i64.xor
        br $l
      else
        i64.const 3
        i64.add
      end
      local.set $t
      i64.extend_i32_u
      local.get $t
      i64.add
    end)

  ;; values below a block whose loop calls: the instrumenter saves them at block entry
  (func (export "below") (param $n i32) (result i64) (local $acc i32)
    (i64.const 1000)
    (i32.const 5)
    (block (param i32) (result i32)
      (loop $l (param i32) (result i32)
        (call $spin (i32.const 3))
        (local.set $acc)
        (i32.add (local.get $acc) (local.get $n))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br_if $l (i32.gt_s (local.get $n) (i32.const 0)))))
    (i64.extend_i32_u)
    (i64.add))

;; safe points in both branches of an if with parameters, values below the if
  (func (export "branches") (param $n i32) (result i64) (local $i i32) (local $h i64)
    block $done
      loop $l
        local.get $i
        local.get $n
        i32.ge_u
        br_if $done
        local.get $h
        i32.const 11
        local.get $i
        local.get $i
        i32.const 1
        i32.and                          ;; [i64 i32 i32 cond]: the if holds safe points
        if (param i32) (result i32)
          i32.const 2
          call $spin
        else
          i32.const 1
          i32.add
          loop $k (param i32) (result i32)
            i32.const 1
            call $spin
            local.get $i
            i32.const 1
            call $spin
            i32.const 3
            i32.and
            i32.eqz
            br_if $k
          end
        end
        i32.add
        i64.extend_i32_u
        i64.add
        local.set $h
        local.get $i
        i32.const 1
        i32.add
        local.set $i
        br $l
      end
    end
    local.get $h)

;; a signalling NaN carried as a loop parameter (and an f64 one): bits survive unwinds
  (func (export "nan_param") (param $n i32) (result i64) (local $h i64) (local $d f64)
    f32.const nan:0x200055
    f64.const -nan:0x4000000000077
    loop $l (param f32 f64) (result f32 f64)
      f64.neg
      local.set $d                       ;; [f32]
      i32.const 0
      i32.const 2
      call $spin                         ;; the f32 below the arguments
      drop
      local.get $d                       ;; [f32 f64]
      local.get $h
      i64.const 1099511628211
      i64.mul
      local.get $d
      i64.reinterpret_f64
      i64.xor
      local.set $h
      local.get $n
      i32.const 1
      i32.sub
      local.tee $n
      br_if $l
    end
    i64.reinterpret_f64
    local.set $h
    i32.reinterpret_f32
    i64.extend_i32_u
    local.get $h
    i64.xor)

  ;; multi-value recursion; call_indirect with values below its arguments
  (func $pair (param $n i32) (result i32 i32)
    local.get $n
    i32.const 2
    i32.lt_u
    if (result i32 i32)
      local.get $n
      i32.const 1
    else
      local.get $n
      i32.const 1
      i32.sub
      call $pair                         ;; [a b]
      i32.add
      local.get $n
      i32.const 2
      i32.sub
      call $pair                         ;; [a+b c d]
      local.get $n
      i32.const 3
      i32.and
      call_indirect (type $two)          ;; [a+b x y]
      i32.xor
      i32.add
      i32.const 3
    end)
  (func (export "pairs") (param $n i32) (result i64) (local $t i64)
    local.get $n
    call $pair
    i64.extend_i32_u
    i64.const 32
    i64.shl
    local.set $t
    i64.extend_i32_u
    local.get $t
    i64.or)

  ;; a br_table dispatch loop whose cases call
  (func (export "switch") (param $n i32) (result i64) (local $x i32) (local $h i64)
    (local.set $x (i32.const 1))
    (loop $top
      (block $c3 (block $c2 (block $c1 (block $c0
        (br_table $c0 $c1 $c2 $c3 (i32.and (local.get $x) (i32.const 3))))
        (local.set $x (call $spin (local.get $x) (i32.const 2))) (br $c3))
        (local.set $x (i32.add (local.get $x) (i32.const 5))) (br $c3))
        (local.set $x (i32.xor (call $spin (local.get $x) (i32.const 1)) (local.get $n))))
      (local.set $h (i64.add (i64.mul (local.get $h) (i64.const 33)) (i64.extend_i32_u (local.get $x))))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $top (i32.gt_s (local.get $n) (i32.const 0))))
    (local.get $h))
)
