"""How much elementwise work a method does per step on a large tensor.

Methods work through large tensors in chunks so that their temporaries stay small:
at most SCRATCH_BYTES each. The engine has glibc map every allocation above twice
that on its own (merge_core/execute.py keeps resident memory close to the tensors
alive that way), so chunk temporaries stay in the heap, which hands the same memory
back chunk after chunk. A temporary above the threshold is a fresh mapping whose
pages the kernel faults in and zeroes each time: slerp ran 6x slower per element so.
A method whose chunk is fixed larger (slerp's, which is mergekit's) reuses explicit
scratch buffers instead.
"""

SCRATCH_BYTES = 512 << 10


def chunk_elements(rows: int = 1, itemsize: int = 4) -> int:
    """Elements per step when each temporary holds `rows` values of `itemsize` bytes per element."""
    return max(1 << 12, SCRATCH_BYTES // (max(rows, 1) * itemsize))
