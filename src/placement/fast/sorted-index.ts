// Instance indices kept sorted by a strict order (their rank keys, then snapshot index), in a
// typed array: O(log n) to find, one memmove to insert or remove. A bucket of a few thousand
// instances moves a few KiB per update, far cheaper than re-sorting per task.

export class SortedIndex {
  private readonly items: Int32Array;
  size = 0;

  /** `less(a, b)`: instance a ranks strictly before instance b (a total order). */
  constructor(capacity: number, private readonly less: (a: number, b: number) => boolean) {
    this.items = new Int32Array(Math.max(1, capacity));
  }

  /** An index holding `sorted` (already in `less` order). */
  static fromSorted(sorted: readonly number[], less: (a: number, b: number) => boolean): SortedIndex {
    const index = new SortedIndex(sorted.length, less);
    index.items.set(sorted);
    index.size = sorted.length;
    return index;
  }

  at(position: number): number {
    return this.items[position];
  }

  insert(x: number) {
    let lo = 0, hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.less(this.items[mid], x)) lo = mid + 1; else hi = mid;
    }
    this.items.copyWithin(lo + 1, lo, this.size);
    this.items[lo] = x;
    this.size++;
  }

  removeAt(position: number) {
    this.items.copyWithin(position, position + 1, this.size);
    this.size--;
  }

  /** The first position whose key is at least `threshold` (keys ascending, as `less` orders them). */
  firstAtLeast(key: Float64Array, threshold: number): number {
    let lo = 0, hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (key[this.items[mid]] < threshold) lo = mid + 1; else hi = mid;
    }
    return lo;
  }
}
