//! The module allocator's bookkeeping (`hearth_functions::allocator`), over a buffer standing in
//! for the free memory a module starts with.

use std::alloc::{GlobalAlloc, Layout};

use hearth_functions::allocator::Allocator;

/// 4 KiB of 8-byte aligned memory, and an allocator over it.
fn allocator() -> (Vec<u64>, Allocator) {
    let mut region = vec![0u64; 512];
    let allocator = Allocator::over(region.as_mut_ptr().cast(), 4096);
    (region, allocator)
}

fn layout(size: usize, align: usize) -> Layout {
    Layout::from_size_align(size, align).unwrap()
}

fn inside(region: &[u64], ptr: *mut u8) -> bool {
    let start = region.as_ptr() as usize;
    (start..start + 4096).contains(&(ptr as usize))
}

#[test]
fn allocations_come_from_the_region_in_order_and_aligned() {
    let (region, a) = allocator();
    unsafe {
        let first = a.alloc(layout(3, 1));
        let second = a.alloc(layout(16, 8));
        assert_eq!(first as usize, region.as_ptr() as usize);
        assert_eq!(second as usize, region.as_ptr() as usize + 8, "aligned to 8 after the first 3 bytes");
        second.write_bytes(7, 16);
        assert_eq!(*first, 0, "blocks do not overlap");
    }
}

#[test]
fn the_last_block_freed_is_reused_and_others_are_not() {
    let (_region, a) = allocator();
    unsafe {
        let first = a.alloc(layout(64, 8));
        let second = a.alloc(layout(64, 8));
        a.dealloc(second, layout(64, 8));
        assert_eq!(a.alloc(layout(64, 8)), second, "the last block's space is given back");
        a.dealloc(first, layout(64, 8));
        let third = a.alloc(layout(64, 8));
        assert_ne!(third, first, "an earlier block's space is not reused");
        assert_eq!(third as usize, second as usize + 64);
    }
}

#[test]
fn realloc_grows_the_last_block_in_place_and_moves_others() {
    let (region, a) = allocator();
    unsafe {
        let first = a.alloc(layout(8, 8));
        first.write_bytes(1, 8);
        let grown = a.realloc(first, layout(8, 8), 100);
        assert_eq!(grown, first, "the last block grows in place");
        let second = a.alloc(layout(8, 8));
        let moved = a.realloc(grown, layout(100, 8), 200);
        assert_ne!(moved, grown);
        assert!(moved as usize > second as usize && inside(&region, moved));
        assert_eq!(std::slice::from_raw_parts(moved, 8), [1; 8], "the bytes are copied");
    }
}

#[test]
fn past_the_region_the_system_allocator_serves() {
    let (region, a) = allocator();
    unsafe {
        let most = a.alloc(layout(4000, 8));
        assert!(inside(&region, most));
        let big = a.alloc(layout(1000, 8));
        assert!(!big.is_null() && !inside(&region, big), "past the region's end");
        big.write_bytes(3, 1000);
        let bigger = a.realloc(big, layout(1000, 8), 10_000);
        assert!(!inside(&region, bigger));
        assert_eq!(std::slice::from_raw_parts(bigger, 1000), [3; 1000]);
        a.dealloc(bigger, layout(10_000, 8));
        // A block of the region that must move and finds no room goes to the system allocator.
        let moved = a.realloc(most, layout(4000, 8), 8000);
        assert!(!inside(&region, moved));
        assert_eq!(a.alloc(layout(8, 8)), most, "the region's space came back");
        a.dealloc(moved, layout(8000, 8));
    }
}
