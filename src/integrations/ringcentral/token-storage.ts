// Where an SDK keeps its tokens: one store per client, in memory, never localStorage. The SDK's
// default store is one module-level object shared by every instance (REFERENCE §1.3).
export class MemoryTokenStorage {
  private readonly items = new Map<string, string>();
  get length() {
    return this.items.size;
  }
  getItem(key: string) {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string) {
    this.items.set(key, String(value));
  }
  removeItem(key: string) {
    this.items.delete(key);
  }
  clear() {
    this.items.clear();
  }
  key(index: number) {
    return [...this.items.keys()][index] ?? null;
  }
  keys() {
    return [...this.items.keys()];
  }
}
