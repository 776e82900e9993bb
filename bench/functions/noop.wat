;; The floor of a function call (bench/functions/run.sh): a handwritten module with one function,
;; `noop`, that reads nothing of its request and answers {"result":1}. Beside bench.ts (the
;; AssemblyScript SDK, which parses the request and writes its answer as JSON), it shows what
;; the host costs on its own. Assembled with binaryen's wasm-as (installed with the
;; AssemblyScript SDK's node_modules):
;;
;;   sdk/functions/assemblyscript/node_modules/.bin/wasm-as bench/functions/noop.wat -o noop.wasm
;;
;; It tells the manifest request from a call by the byte after `"kind":"` (m for manifest).
(module
  (import "hearth" "answer" (func $answer (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "{\"result\":1}")
  (data (i32.const 64) "{\"functions\":[\"noop\"],\"jobs\":[],\"triggers\":[]}")
  (data (i32.const 256) "\"kind\":\"")
  (func (export "hearth_abi_v1"))
  ;; The request goes at 1024; the memory grows to hold it.
  (func (export "hearth_alloc") (param $len i32) (result i32)
    (local $need i32)
    (local.set $need
      (i32.sub
        (i32.shr_u (i32.add (i32.add (local.get $len) (i32.const 1024)) (i32.const 65535)) (i32.const 16))
        (memory.size)))
    (if (i32.gt_s (local.get $need) (i32.const 0))
      (then (drop (memory.grow (local.get $need)))))
    (i32.const 1024))
  (func (export "hearth_handle") (param $ptr i32) (param $len i32) (result i32)
    (local $i i32)
    (local $end i32)
    (local.set $i (local.get $ptr))
    (local.set $end (i32.sub (i32.add (local.get $ptr) (local.get $len)) (i32.const 8)))
    (block $done
      (loop $scan
        (br_if $done (i32.ge_s (local.get $i) (local.get $end)))
        (if (i64.eq (i64.load (local.get $i)) (i64.load (i32.const 256)))
          (then
            (if (i32.eq (i32.load8_u (i32.add (local.get $i) (i32.const 8))) (i32.const 109))
              (then
                (call $answer (i32.const 64) (i32.const 46))
                (return (i32.const 0))))
            (br $done)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $scan)))
    (call $answer (i32.const 16) (i32.const 12))
    (i32.const 0)))
