// routes.js — every screen of the client, in one table.
//
// An entry: {path, view, title?, nav?, auth?, guest?, roles?, needs?}
//   path   clean path; ":name" matches one segment (no dots: the server only
//          sends index.html for paths without an extension)
//   view   () => import('./views/x.js'); the module's default export is
//          async (ctx) => ({title, node, destroy?}); null: not built yet
//   nav    label in the main navigation (omitted: not in the navigation)
//   auth   needs a signed-in person (otherwise: sign in, then come back)
//   guest  only for people who are not signed in (sign-in, register)
//   roles  only for these roles (others get "not found")
//   needs  an API route the screen depends on; the screen and its link exist
//          only once GET on it answers anything but 404 not_found (see
//          apiExists in api.js). It must be a route that answers 200 (or 401,
//          403) once it exists, e.g. a list.
//
// A screen whose API is missing on this server (needs answers 404) is
// neither linked nor routed, so the client degrades to what exists.

export const routes = [
  { path: '/', view: () => import('./views/home.js') },
  { path: '/signin', view: () => import('./views/signin.js'), guest: true },
  { path: '/register', view: () => import('./views/register.js'), guest: true },
  { path: '/crisis', view: () => import('./views/crisis.js') },
  { path: '/guidelines', view: () => import('./views/guidelines.js') },
  { path: '/goodbye', view: () => import('./views/goodbye.js') },

  // ---- groups and applications ----
  { path: '/groups', view: () => import('./views/groups.js'), auth: true, nav: 'Find a group',
    roles: ['member'], needs: '/api/v1/groups' },
  { path: '/groups/:id', view: () => import('./views/group.js'), auth: true,
    needs: '/api/v1/groups' },
  { path: '/groups/:id/apply', view: () => import('./views/apply.js'), auth: true,
    roles: ['member'], needs: '/api/v1/groups' },
  { path: '/my-group', view: () => import('./views/mygroup.js'), auth: true, nav: 'My group',
    roles: ['member', 'facilitator'], needs: '/api/v1/me/groups' },

  // ---- live sessions (/ws, protocol/PROTOCOL.md) ----
  { path: '/sessions/:id', view: () => import('./views/session.js'), auth: true,
    roles: ['member', 'facilitator'], needs: '/api/v1/me/groups' },

  // ---- boards (post HTML via dom.insertServerRenderedHtml only) ----
  { path: '/boards', view: () => import('./views/boards.js'), auth: true, nav: 'Boards',
    needs: '/api/v1/boards' },
  { path: '/boards/posts/:id', view: () => import('./views/boardpost.js'), auth: true,
    needs: '/api/v1/boards' },
  { path: '/boards/:id', view: () => import('./views/folder.js'), auth: true,
    needs: '/api/v1/boards' },
  { path: '/topics/:id', view: () => import('./views/topic.js'), auth: true,
    needs: '/api/v1/boards' },

  // ---- private conversations ----
  { path: '/messages', view: () => import('./views/messages.js'), auth: true, nav: 'Messages',
    roles: ['member', 'facilitator'], needs: '/api/v1/conversations' },
  { path: '/messages/:id', view: () => import('./views/conversation.js'), auth: true,
    roles: ['member', 'facilitator'], needs: '/api/v1/conversations' },

  // ---- transcripts ----
  { path: '/transcripts', view: () => import('./views/transcripts.js'), auth: true,
    nav: 'Transcripts', roles: ['member', 'facilitator'], needs: '/api/v1/transcripts/search' },
  { path: '/transcripts/:id', view: () => import('./views/transcript.js'), auth: true,
    roles: ['member', 'facilitator'], needs: '/api/v1/transcripts/search' },

  // ---- facilitators and the manager ----
  { path: '/dashboard', view: () => import('./views/dashboard.js'), auth: true, nav: 'Dashboard',
    roles: ['facilitator', 'manager'], needs: '/api/v1/applications' },
  { path: '/dashboard/applications/:id', view: () => import('./views/application.js'),
    auth: true, roles: ['facilitator'], needs: '/api/v1/applications' },
  { path: '/manage', view: () => import('./views/manage.js'), auth: true, nav: 'Manage',
    roles: ['manager'], needs: '/api/v1/reports' },
  { path: '/manage/groups/new', view: () => import('./views/groupedit.js'), auth: true,
    roles: ['manager'], needs: '/api/v1/groups' },
  { path: '/manage/groups/:id', view: () => import('./views/groupedit.js'), auth: true,
    roles: ['manager'], needs: '/api/v1/groups' },
  { path: '/profile', view: () => import('./views/profile.js'), auth: true, nav: 'Your profile' },
  { path: '/reports', view: () => import('./views/myreports.js'), auth: true,
    needs: '/api/v1/me/reports' },
];

/** The route for a path and its parameters, or null. */
export function matchRoute(pathname) {
  const parts = pathname.replace(/\/+$/, '').split('/').slice(1);
  for (const route of routes) {
    const want = route.path === '/' ? [] : route.path.split('/').slice(1);
    if (want.length !== parts.length) continue;
    const params = {};
    let ok = true;
    for (let i = 0; i < want.length && ok; i++) {
      if (want[i].startsWith(':')) {
        try {
          params[want[i].slice(1)] = decodeURIComponent(parts[i]);
        } catch {
          ok = false;
        }
        ok = ok && parts[i] !== '';
      } else {
        ok = want[i] === parts[i];
      }
    }
    if (ok) return { route, params };
  }
  return null;
}
