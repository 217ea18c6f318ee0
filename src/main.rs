//! The `aftersales` command: see `aftersales --help`.

fn main() -> std::process::ExitCode {
    give_back_large_buffers();
    aftersales::cli::main()
}

/// Has the allocator return large buffers to the system when they are freed. glibc raises its
/// threshold for that after the first large buffer is freed and keeps the next ones in its
/// heaps: each password check allocates 19 MiB (Argon2), and the server grew from 27 to 200 MiB
/// after 20 sign-ins in a row, and stayed there; with the threshold fixed at 1 MiB it peaks at
/// 47 MiB and falls back to 27 MiB.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn give_back_large_buffers() {
    use std::ffi::c_int;
    // glibc's <malloc.h>.
    const M_MMAP_THRESHOLD: c_int = -3;
    unsafe extern "C" {
        fn mallopt(param: c_int, value: c_int) -> c_int;
    }
    // SAFETY: mallopt only changes a setting of glibc's allocator, and runs before any other
    // thread of the process exists.
    unsafe {
        mallopt(M_MMAP_THRESHOLD, 1 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn give_back_large_buffers() {}
