// session.js — who is signed in, as far as this page knows.
//
// The log-in cookie is HttpOnly, so the page never sees it; it learns who is
// signed in from GET /api/v1/me and from the answers to sign-in and sign-out.
// Views read session.user; the shell re-renders its navigation on change().

import { api, ApiError } from './api.js';

const listeners = new Set();

export const session = {
  /** The signed-in user as /api/v1/me shows it, or null. */
  user: null,

  /** Call fn(user) after every change; returns a function that stops it. */
  subscribe(fn) {
    listeners.add(fn);
    return () => listeners.delete(fn);
  },

  set(user) {
    this.user = user || null;
    for (const fn of listeners) fn(this.user);
  },

  /** Ask the server who we are. Resolves to the user or null. */
  async refresh() {
    try {
      this.set(await api.get('/api/v1/me', { expect401: true }));
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 401) throw e;
      this.set(null);
    }
    return this.user;
  },

  async signIn(username, password, remember) {
    const res = await api.post('/api/v1/login', { username, password, remember: !!remember },
      { expect401: true });
    this.set(res.user);
    return res.user;
  },

  async signOut() {
    try {
      await api.post('/api/v1/logout', {}, { expect401: true });
    } catch (e) {
      // already signed out (expired) is what we wanted anyway
      if (!(e instanceof ApiError) || e.status !== 401) throw e;
    }
    this.set(null);
  },

  hasRole(...roles) {
    return !!this.user && roles.includes(this.user.role);
  },
};
