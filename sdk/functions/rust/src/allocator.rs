//! The module's memory allocator (the default feature `allocator`): first the free memory the
//! module starts with, then Rust's standard allocator.
//!
//! A module's memory starts with free space after its stack and data (from `__heap_base` to the
//! end of its initial pages), which Rust's standard allocator for wasm32 never uses: its first
//! allocation grows the memory, on every call, since every call is a fresh instance. Growing costs
//! Hearth two system calls per call (the new pages are made accessible, then inaccessible again
//! for the slot's next instance), several microseconds and more on a busy server. [`Allocator`]
//! hands out that free space first, and goes to the standard allocator only once it is used up:
//! a call that needs less than the free space never grows the memory, as a call of an
//! AssemblyScript module does not.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// Bump allocation in a region, then the standard allocator.
///
/// In the region, space is handed out in order and freed space is reused only when it was the
/// last handed out (an instance lives for one request, and its whole memory goes with it);
/// reallocating the last allocation grows or shrinks it in place.
pub struct Allocator {
    /// The region: its start, the next free byte, its end. On wasm32 it is found at the first
    /// allocation (all zero until then).
    start: Cell<usize>,
    next: Cell<usize>,
    end: Cell<usize>,
}

// SAFETY: a module runs on one thread (wasm32 without threads); elsewhere the allocator is only
// used by the tests, over a region of their own, from one thread.
unsafe impl Sync for Allocator {}

impl Allocator {
    /// An allocator whose region is the module's free initial memory (found at first use).
    pub const fn new() -> Allocator {
        Allocator { start: Cell::new(0), next: Cell::new(0), end: Cell::new(0) }
    }

    /// An allocator over `len` bytes at `start`, for tests.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn over(start: *mut u8, len: usize) -> Allocator {
        let start = start as usize;
        Allocator { start: Cell::new(start), next: Cell::new(start), end: Cell::new(start + len) }
    }

    /// Finds the region at the first allocation: from `__heap_base` (the end of the stack and
    /// data, which the linker defines) to the end of the memory the module started with (nothing
    /// grows the memory before: only this allocator's fallback does).
    #[cfg(target_arch = "wasm32")]
    fn region(&self) {
        if self.end.get() == 0 {
            unsafe extern "C" {
                static __heap_base: u8;
            }
            let start = &raw const __heap_base as usize;
            let end = core::arch::wasm32::memory_size(0) * 65536;
            self.start.set(start);
            self.next.set(start);
            self.end.set(end.max(start));
        }
    }

    #[cfg(not(target_arch = "wasm32"))]
    fn region(&self) {}

    fn in_region(&self, ptr: *mut u8) -> bool {
        (self.start.get()..self.end.get()).contains(&(ptr as usize))
    }
}

impl Default for Allocator {
    fn default() -> Allocator {
        Allocator::new()
    }
}

// SAFETY: blocks from the region are disjoint (handed out in order, aligned as asked, inside the
// region) and never handed to `System`; every other block comes from and goes back to `System`.
unsafe impl GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        self.region();
        let at = self.next.get().next_multiple_of(layout.align());
        match at.checked_add(layout.size()) {
            Some(end) if end <= self.end.get() => {
                self.next.set(end);
                at as *mut u8
            }
            // SAFETY: the caller's contract, passed on.
            _ => unsafe { System.alloc(layout) },
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if self.in_region(ptr) {
            if ptr as usize + layout.size() == self.next.get() {
                self.next.set(ptr as usize);
            }
            return;
        }
        // SAFETY: a block not in the region came from `System`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if !self.in_region(ptr) {
            // SAFETY: a block not in the region came from `System`.
            return unsafe { System.realloc(ptr, layout, new_size) };
        }
        let last = ptr as usize + layout.size() == self.next.get();
        let end = (ptr as usize).checked_add(new_size).filter(|&end| end <= self.end.get());
        if let (true, Some(end)) = (last, end) {
            self.next.set(end);
            return ptr;
        }
        // SAFETY: `new_size` with the block's alignment is a valid layout (the caller's contract).
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        // SAFETY: as for `alloc`; then both blocks are valid for the bytes copied, and distinct.
        unsafe {
            let new = self.alloc(new_layout);
            if !new.is_null() {
                std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
            new
        }
    }
}
