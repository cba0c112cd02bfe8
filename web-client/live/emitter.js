// live/emitter.js — named events for the live classes (LiveSocket, Room):
// on(name, fn) adds a listener and returns a function that removes it;
// emit(name, value) calls each listener, and one that throws is logged and
// does not keep the others from hearing.

export class Emitter {
  constructor() {
    this.listeners = new Map();
  }

  on(name, fn) {
    if (!this.listeners.has(name)) this.listeners.set(name, new Set());
    this.listeners.get(name).add(fn);
    return () => this.listeners.get(name).delete(fn);
  }

  emit(name, value) {
    for (const fn of this.listeners.get(name) || []) {
      try {
        fn(value);
      } catch (e) {
        console.error(e);
      }
    }
  }
}
