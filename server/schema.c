/*
 * schema.c — every migration, in version order (see schema.h).
 */
#include "schema.h"

#include "util.h"

static const struct migration migrations[] = {
	{1, "core",
	 /* settings: small key/value facts about this installation */
	 "CREATE TABLE settings ("
	 "  key TEXT PRIMARY KEY,"
	 "  value TEXT NOT NULL);"
	 /* audit_log: append-only; each row's hash covers the previous row's
	  * hash, so a deleted or edited row breaks the chain (hearth verify audit) */
	 "CREATE TABLE audit_log ("
	 "  id INTEGER PRIMARY KEY,"
	 "  ts INTEGER NOT NULL,"          /* ms since epoch */
	 "  actor_id INTEGER,"             /* NULL: the system */
	 "  action TEXT NOT NULL,"
	 "  target_type TEXT,"
	 "  target_id INTEGER,"
	 "  detail TEXT NOT NULL DEFAULT '{}'," /* JSON, ids and codes only */
	 "  prev_hash TEXT NOT NULL,"
	 "  hash TEXT NOT NULL);"
	 "CREATE INDEX audit_log_actor ON audit_log(actor_id, ts);"
	 "CREATE INDEX audit_log_action ON audit_log(action, ts);"
	 "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log"
	 "  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;"
	 "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log"
	 "  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;"},
	{2, "accounts",
	 "CREATE TABLE users ("
	 "  id INTEGER PRIMARY KEY,"
	 "  username TEXT NOT NULL UNIQUE COLLATE NOCASE,"
	 "  display_name TEXT,"             /* NULL once erased */
	 "  email TEXT,"                    /* NULL once erased */
	 "  password_hash TEXT,"            /* $scrypt$…; NULL once erased */
	 "  role TEXT NOT NULL DEFAULT 'member'"
	 "    CHECK (role IN ('member', 'facilitator', 'manager')),"
	 "  signature TEXT NOT NULL DEFAULT '',"
	 "  research_consent INTEGER NOT NULL DEFAULT 0,"
	 "  digest_opt_out INTEGER NOT NULL DEFAULT 0,"
	 "  avatar BLOB,"
	 "  avatar_type TEXT,"
	 "  created_at INTEGER NOT NULL,"   /* ms */
	 "  last_active INTEGER,"
	 "  erased_at INTEGER);"
	 /* a log-in: only the SHA-256 of its token is kept */
	 "CREATE TABLE auth_sessions ("
	 "  id INTEGER PRIMARY KEY,"
	 "  user_id INTEGER NOT NULL REFERENCES users(id),"
	 "  token_hash TEXT NOT NULL UNIQUE,"
	 "  created_at INTEGER NOT NULL,"
	 "  last_seen INTEGER NOT NULL,"
	 "  expires_at INTEGER NOT NULL,"
	 "  remember INTEGER NOT NULL DEFAULT 0);"
	 "CREATE INDEX auth_sessions_user ON auth_sessions(user_id);"},
	{3, "groups",
	 /* a group and its weekly slot (see schedule.h). cycle_start and
	  * cycles_before move forward when an extension is granted, so that the
	  * extension covers only the cycle it was granted for */
	 "CREATE TABLE groups ("
	 "  id INTEGER PRIMARY KEY,"
	 "  name TEXT NOT NULL,"
	 "  category TEXT NOT NULL"
	 "    CHECK (category IN ('patient', 'caregiver', 'bereaved', 'workshop')),"
	 "  description TEXT NOT NULL DEFAULT '',"
	 "  capacity INTEGER NOT NULL DEFAULT 8 CHECK (capacity > 0),"
	 "  questions TEXT NOT NULL DEFAULT '[]',"  /* JSON array of the screening questions */
	 "  tz TEXT NOT NULL,"                      /* IANA name */
	 "  weekday INTEGER NOT NULL CHECK (weekday BETWEEN 1 AND 7)," /* 1 = Monday */
	 "  start_minute INTEGER NOT NULL,"         /* local, after midnight */
	 "  duration_min INTEGER NOT NULL DEFAULT 60,"
	 "  cycle_start TEXT NOT NULL,"             /* local date YYYY-MM-DD */
	 "  cycle_weeks INTEGER NOT NULL DEFAULT 12 CHECK (cycle_weeks IN (12, 15)),"
	 "  extension_weeks INTEGER NOT NULL DEFAULT 0," /* 12 while the cycle is extended */
	 "  extension_allowed INTEGER NOT NULL DEFAULT 1,"
	 "  intake_close_weeks INTEGER NOT NULL DEFAULT 0,"
	 "  hiatus_weeks INTEGER NOT NULL DEFAULT 0,"
	 "  cycles_before INTEGER NOT NULL DEFAULT 0," /* cycles held before cycle_start */
	 "  checkins_enabled INTEGER NOT NULL DEFAULT 0,"
	 "  created_by INTEGER REFERENCES users(id),"
	 "  created_at INTEGER NOT NULL,"
	 "  updated_at INTEGER NOT NULL);"
	 "CREATE TABLE group_facilitators ("
	 "  group_id INTEGER NOT NULL REFERENCES groups(id),"
	 "  user_id INTEGER NOT NULL REFERENCES users(id),"
	 "  added_at INTEGER NOT NULL,"
	 "  PRIMARY KEY (group_id, user_id));"
	 "CREATE INDEX group_facilitators_user ON group_facilitators(user_id);"
	 /* never deleted: [started_at, ended_at) decides which transcripts one reads */
	 "CREATE TABLE memberships ("
	 "  id INTEGER PRIMARY KEY,"
	 "  group_id INTEGER NOT NULL REFERENCES groups(id),"
	 "  user_id INTEGER NOT NULL REFERENCES users(id),"
	 "  started_at INTEGER NOT NULL,"
	 "  ended_at INTEGER,"                      /* NULL while active */
	 "  ended_reason TEXT,"                     /* ended_by_facilitator | left | erased */
	 "  application_id INTEGER);"
	 "CREATE UNIQUE INDEX memberships_active ON memberships(group_id, user_id)"
	 "  WHERE ended_at IS NULL;"
	 "CREATE INDEX memberships_user ON memberships(user_id, ended_at);"
	 "CREATE INDEX memberships_group ON memberships(group_id, ended_at);"
	 /* answers, gp_contact and notes are AES-256-GCM blobs sealed for their
	  * cell (crypto_field_encrypt); the file never holds them in clear */
	 "CREATE TABLE applications ("
	 "  id INTEGER PRIMARY KEY,"
	 "  group_id INTEGER NOT NULL REFERENCES groups(id),"
	 "  user_id INTEGER NOT NULL REFERENCES users(id),"
	 "  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN"
	 "    ('pending', 'approved', 'waitlisted', 'referred', 'withdrawn')),"
	 "  age_band TEXT NOT NULL,"
	 "  answers BLOB,"                          /* sealed JSON [{question, answer}] */
	 "  gp_contact BLOB,"                       /* sealed JSON {name, practice, phone} */
	 "  notes BLOB,"                            /* sealed: the facilitators' notes */
	 "  message TEXT,"                          /* to the applicant, with the decision */
	 "  decided_by INTEGER REFERENCES users(id),"
	 "  decided_at INTEGER,"
	 "  screening_purged_at INTEGER,"           /* sealed fields wiped (retention, erasure) */
	 "  created_at INTEGER NOT NULL,"
	 "  updated_at INTEGER NOT NULL);"
	 "CREATE INDEX applications_group ON applications(group_id, status);"
	 "CREATE INDEX applications_user ON applications(user_id);"
	 "CREATE UNIQUE INDEX applications_one_pending ON applications(group_id, user_id)"
	 "  WHERE status = 'pending';"
	 /* served in id order */
	 "CREATE TABLE waitlist ("
	 "  id INTEGER PRIMARY KEY,"
	 "  group_id INTEGER NOT NULL REFERENCES groups(id),"
	 "  user_id INTEGER NOT NULL REFERENCES users(id),"
	 "  application_id INTEGER NOT NULL REFERENCES applications(id),"
	 "  added_at INTEGER NOT NULL,"
	 "  state TEXT NOT NULL DEFAULT 'waiting' CHECK (state IN"
	 "    ('waiting', 'offered', 'joined', 'declined', 'lapsed', 'removed')),"
	 "  updated_at INTEGER NOT NULL);"
	 "CREATE UNIQUE INDEX waitlist_active ON waitlist(group_id, user_id)"
	 "  WHERE state IN ('waiting', 'offered');"
	 "CREATE INDEX waitlist_group ON waitlist(group_id, state, id);"
	 /* a seat held for a waitlisted member until expires_at */
	 "CREATE TABLE offers ("
	 "  id INTEGER PRIMARY KEY,"
	 "  waitlist_id INTEGER NOT NULL REFERENCES waitlist(id),"
	 "  group_id INTEGER NOT NULL REFERENCES groups(id),"
	 "  user_id INTEGER NOT NULL REFERENCES users(id),"
	 "  created_at INTEGER NOT NULL,"
	 "  expires_at INTEGER NOT NULL,"
	 "  state TEXT NOT NULL DEFAULT 'open' CHECK (state IN"
	 "    ('open', 'accepted', 'declined', 'expired', 'withdrawn')),"
	 "  answered_at INTEGER);"
	 "CREATE INDEX offers_open ON offers(state, expires_at);"
	 "CREATE INDEX offers_user ON offers(user_id, state);"
	 "CREATE INDEX offers_group ON offers(group_id, state);"
	 /* members asking for the 12-week extension of a cycle (absolute number) */
	 "CREATE TABLE extension_requests ("
	 "  group_id INTEGER NOT NULL REFERENCES groups(id),"
	 "  cycle INTEGER NOT NULL,"
	 "  user_id INTEGER NOT NULL REFERENCES users(id),"
	 "  created_at INTEGER NOT NULL,"
	 "  PRIMARY KEY (group_id, cycle, user_id));"
	 /* one reminder per session and member */
	 "CREATE TABLE session_reminders ("
	 "  group_id INTEGER NOT NULL,"
	 "  starts_at INTEGER NOT NULL,"
	 "  user_id INTEGER NOT NULL,"
	 "  sent_at INTEGER NOT NULL,"
	 "  PRIMARY KEY (group_id, starts_at, user_id)) WITHOUT ROWID;"},
	{4, "live",
	 /* one row per occurrence of a group's slot, or per ad-hoc session */
	 "CREATE TABLE sessions ("
	 "  id INTEGER PRIMARY KEY,"
	 "  group_id INTEGER NOT NULL,"
	 "  starts_at INTEGER NOT NULL,"     /* scheduled start, ms */
	 "  ends_at INTEGER NOT NULL,"       /* scheduled end, extensions included */
	 "  extended_min INTEGER NOT NULL DEFAULT 0,"
	 "  adhoc INTEGER NOT NULL DEFAULT 0,"
	 "  state TEXT NOT NULL DEFAULT 'scheduled'"
	 "    CHECK (state IN ('scheduled', 'open', 'closed')),"
	 "  opened_at INTEGER,"
	 "  opened_by INTEGER,"
	 "  closed_at INTEGER,"
	 "  closed_by INTEGER,"
	 "  last_seq INTEGER NOT NULL DEFAULT 0," /* seq of the newest message */
	 "  UNIQUE (group_id, starts_at));"
	 "CREATE INDEX sessions_state ON sessions(state, ends_at);"
	 /* live messages: seq 1, 2, 3… per session with no gaps */
	 "CREATE TABLE messages ("
	 "  id INTEGER PRIMARY KEY,"
	 "  session_id INTEGER NOT NULL REFERENCES sessions(id),"
	 "  seq INTEGER NOT NULL,"
	 "  author_id INTEGER NOT NULL REFERENCES users(id),"
	 "  kind TEXT NOT NULL DEFAULT 'message' CHECK (kind IN ('message', 'announcement')),"
	 "  text TEXT,"                       /* NULL once redacted */
	 "  client_id TEXT NOT NULL,"
	 "  ts INTEGER NOT NULL,"
	 "  redacted_at INTEGER,"
	 "  redacted_by INTEGER,"
	 "  highlighted INTEGER NOT NULL DEFAULT 0,"
	 "  UNIQUE (session_id, seq),"
	 "  UNIQUE (session_id, author_id, client_id));"
	 "CREATE INDEX messages_author ON messages(session_id, author_id, ts);"
	 /* who was in the room, from when to when (one row per stay) */
	 "CREATE TABLE attendance ("
	 "  id INTEGER PRIMARY KEY,"
	 "  session_id INTEGER NOT NULL REFERENCES sessions(id),"
	 "  user_id INTEGER NOT NULL REFERENCES users(id),"
	 "  joined_at INTEGER NOT NULL,"
	 "  left_at INTEGER);"
	 "CREATE INDEX attendance_session ON attendance(session_id, user_id);"
	 /* what happened besides messages: moderation, pauses, extensions */
	 "CREATE TABLE session_events ("
	 "  id INTEGER PRIMARY KEY,"
	 "  session_id INTEGER NOT NULL REFERENCES sessions(id),"
	 "  ts INTEGER NOT NULL,"
	 "  kind TEXT NOT NULL,"               /* mute unmute remove redact highlight pause …*/
	 "  actor_id INTEGER,"
	 "  user_id INTEGER,"
	 "  seq INTEGER,"
	 "  minutes INTEGER);"
	 "CREATE INDEX session_events_session ON session_events(session_id, id);"
	 /* private "how are you feeling" scores, seen only by facilitators */
	 "CREATE TABLE checkins ("
	 "  session_id INTEGER NOT NULL REFERENCES sessions(id),"
	 "  user_id INTEGER NOT NULL REFERENCES users(id),"
	 "  phase TEXT NOT NULL CHECK (phase IN ('join', 'close')),"
	 "  score INTEGER NOT NULL CHECK (score BETWEEN 0 AND 10),"
	 "  ts INTEGER NOT NULL,"
	 "  PRIMARY KEY (session_id, user_id, phase));"},
	{5, "transcripts",
	 /* one sealed transcript per closed session: canon is its canonical JSON
	  * (transcripts/FORMAT.md), seal the SHA-256 hex of those bytes; the rest
	  * is metadata for listings, copied out of canon when it was sealed */
	 "CREATE TABLE transcripts ("
	 "  session_id INTEGER PRIMARY KEY REFERENCES sessions(id),"
	 "  group_id INTEGER NOT NULL,"
	 "  canon TEXT NOT NULL,"
	 "  seal TEXT NOT NULL,"
	 "  sealed_at INTEGER NOT NULL,"      /* ms; a re-seal (erasure) moves it */
	 "  opened_at INTEGER NOT NULL,"      /* ms */
	 "  closed_at INTEGER NOT NULL,"      /* ms */
	 "  local_date TEXT NOT NULL,"        /* YYYY-MM-DD in the group's zone at opening */
	 "  duration_s INTEGER NOT NULL,"
	 "  message_count INTEGER NOT NULL,"
	 "  attendance_count INTEGER NOT NULL);"
	 "CREATE INDEX transcripts_group ON transcripts(group_id, opened_at);"
	 /* who each transcript names, so an erasure finds the transcripts to rewrite */
	 "CREATE TABLE transcript_people ("
	 "  user_id INTEGER NOT NULL,"
	 "  session_id INTEGER NOT NULL,"
	 "  PRIMARY KEY (user_id, session_id)) WITHOUT ROWID;"
	 /* full-text search over the words of sealed transcripts: one row per
	  * message that was not redacted, rowid = session_id * 2^20 + seq; the
	  * author's name and the time (ms) are kept as sealed, not searched */
	 "CREATE VIRTUAL TABLE transcript_fts USING fts5(text, author UNINDEXED, at UNINDEXED,"
	 "  tokenize = 'unicode61 remove_diacritics 2');"},
	{6, "boards",
	 /* topic folders: a group's own (group_id set), or the two site-wide
	  * boards seeded here (group_id NULL) that every logged-in user reads */
	 "CREATE TABLE board_folders ("
	 "  id INTEGER PRIMARY KEY,"
	 "  group_id INTEGER REFERENCES groups(id),"
	 "  kind TEXT NOT NULL CHECK (kind IN ('group', 'conversations', 'specialist')),"
	 "  name TEXT NOT NULL,"
	 "  position INTEGER NOT NULL DEFAULT 0,"
	 "  created_at INTEGER NOT NULL,"
	 "  updated_at INTEGER NOT NULL,"
	 "  CHECK ((kind = 'group') = (group_id IS NOT NULL)));"
	 "CREATE INDEX board_folders_group ON board_folders(group_id, position);"
	 "INSERT INTO board_folders (kind, name, position, created_at, updated_at) VALUES"
	 "  ('conversations', 'Conversations', 1, 0, 0),"
	 "  ('specialist', 'Ask a specialist', 2, 0, 0);"
	 /* held: the first post waits for a facilitator, so the topic is seen only
	  * by its author and moderators; last_post_at is the newest published post */
	 "CREATE TABLE board_topics ("
	 "  id INTEGER PRIMARY KEY,"
	 "  folder_id INTEGER NOT NULL REFERENCES board_folders(id),"
	 "  author_id INTEGER NOT NULL REFERENCES users(id),"
	 "  subject TEXT NOT NULL,"
	 "  first_post_id INTEGER,"
	 "  created_at INTEGER NOT NULL,"
	 "  last_post_at INTEGER NOT NULL,"
	 "  locked INTEGER NOT NULL DEFAULT 0,"
	 "  pinned INTEGER NOT NULL DEFAULT 0,"
	 "  held INTEGER NOT NULL DEFAULT 0,"
	 "  deleted_at INTEGER,"
	 "  deleted_by INTEGER);"
	 "CREATE INDEX board_topics_folder ON board_topics(folder_id, pinned, last_post_at);"
	 /* body is the Markdown as stored (profanity masked), html its safe
	  * rendering; both are emptied when the post is deleted. published_at is
	  * NULL while the post is held for approval */
	 "CREATE TABLE board_posts ("
	 "  id INTEGER PRIMARY KEY,"
	 "  topic_id INTEGER NOT NULL REFERENCES board_topics(id),"
	 "  author_id INTEGER NOT NULL REFERENCES users(id),"
	 "  body TEXT NOT NULL,"
	 "  html TEXT NOT NULL,"
	 "  quote_of INTEGER,"
	 "  created_at INTEGER NOT NULL,"
	 "  published_at INTEGER,"
	 "  held INTEGER NOT NULL DEFAULT 0,"
	 "  approved_by INTEGER,"
	 "  edited_at INTEGER,"
	 "  edit_count INTEGER NOT NULL DEFAULT 0,"
	 "  deleted_at INTEGER,"
	 "  deleted_by INTEGER);"
	 "CREATE INDEX board_posts_topic ON board_posts(topic_id, id);"
	 "CREATE INDEX board_posts_author ON board_posts(author_id, created_at);"
	 "CREATE INDEX board_posts_held ON board_posts(held) WHERE held = 1;"
	 /* earlier versions of edited posts, for facilitators */
	 "CREATE TABLE board_post_history ("
	 "  id INTEGER PRIMARY KEY,"
	 "  post_id INTEGER NOT NULL REFERENCES board_posts(id),"
	 "  body TEXT NOT NULL,"
	 "  html TEXT NOT NULL,"
	 "  written_at INTEGER NOT NULL,"
	 "  replaced_at INTEGER NOT NULL,"
	 "  editor_id INTEGER);"
	 "CREATE INDEX board_post_history_post ON board_post_history(post_id, id);"
	 /* mime is what media_probe found in the bytes, never what was sent */
	 "CREATE TABLE board_pictures ("
	 "  id INTEGER PRIMARY KEY,"
	 "  post_id INTEGER NOT NULL REFERENCES board_posts(id),"
	 "  mime TEXT NOT NULL,"
	 "  bytes INTEGER NOT NULL,"
	 "  width INTEGER NOT NULL,"
	 "  height INTEGER NOT NULL,"
	 "  data BLOB NOT NULL,"
	 "  created_at INTEGER NOT NULL);"
	 "CREATE INDEX board_pictures_post ON board_pictures(post_id);"
	 "CREATE TABLE board_follows ("
	 "  user_id INTEGER NOT NULL,"
	 "  topic_id INTEGER NOT NULL,"
	 "  created_at INTEGER NOT NULL,"
	 "  PRIMARY KEY (user_id, topic_id)) WITHOUT ROWID;"
	 "CREATE INDEX board_follows_topic ON board_follows(topic_id);"
	 /* the last time each person listed each folder: "new since my last visit" */
	 "CREATE TABLE board_visits ("
	 "  user_id INTEGER NOT NULL,"
	 "  folder_id INTEGER NOT NULL,"
	 "  visited_at INTEGER NOT NULL,"
	 "  PRIMARY KEY (user_id, folder_id)) WITHOUT ROWID;"
	 "CREATE TABLE board_flags ("
	 "  id INTEGER PRIMARY KEY,"
	 "  post_id INTEGER NOT NULL REFERENCES board_posts(id),"
	 "  reporter_id INTEGER NOT NULL REFERENCES users(id),"
	 "  reason TEXT NOT NULL,"
	 "  created_at INTEGER NOT NULL,"
	 "  resolved_at INTEGER,"
	 "  resolved_by INTEGER,"
	 "  resolution TEXT);"                   /* dismissed | removed */
	 "CREATE INDEX board_flags_post ON board_flags(post_id, resolved_at);"
	 "CREATE UNIQUE INDEX board_flags_one_open ON board_flags(post_id, reporter_id)"
	 "  WHERE resolved_at IS NULL;"
	 /* scope: the group's id, or 0 for the site-wide boards */
	 "CREATE TABLE board_blocks ("
	 "  scope INTEGER NOT NULL,"
	 "  user_id INTEGER NOT NULL,"
	 "  blocked_by INTEGER,"
	 "  created_at INTEGER NOT NULL,"
	 "  PRIMARY KEY (scope, user_id)) WITHOUT ROWID;"
	 /* when each member's daily digest was last considered */
	 "CREATE TABLE board_digests ("
	 "  user_id INTEGER PRIMARY KEY,"
	 "  last_run_at INTEGER NOT NULL);"},
	{7, "conversations",
	 /* a private conversation belongs to one group: every participant was
	  * in it when added, and reads and writes only while still in it */
	 "CREATE TABLE conversations ("
	 "  id INTEGER PRIMARY KEY,"
	 "  group_id INTEGER NOT NULL REFERENCES groups(id),"
	 "  created_by INTEGER NOT NULL REFERENCES users(id),"
	 "  created_at INTEGER NOT NULL,"     /* ms */
	 "  last_message_at INTEGER);"
	 "CREATE INDEX conversations_group ON conversations(group_id);"
	 /* left_at: left, erased, or out of the group; such a row is never reused */
	 "CREATE TABLE conversation_participants ("
	 "  conversation_id INTEGER NOT NULL REFERENCES conversations(id),"
	 "  user_id INTEGER NOT NULL REFERENCES users(id),"
	 "  joined_at INTEGER NOT NULL,"
	 "  left_at INTEGER,"
	 "  last_read_id INTEGER NOT NULL DEFAULT 0," /* messages up to this id are read */
	 "  notified_at INTEGER,"              /* last "new message" mail (one an hour) */
	 "  PRIMARY KEY (conversation_id, user_id));"
	 "CREATE INDEX conversation_participants_user"
	 "  ON conversation_participants(user_id, left_at);"
	 /* id grows with time, so it orders a conversation; kept after erasure */
	 "CREATE TABLE conversation_messages ("
	 "  id INTEGER PRIMARY KEY,"
	 "  conversation_id INTEGER NOT NULL REFERENCES conversations(id),"
	 "  author_id INTEGER NOT NULL REFERENCES users(id),"
	 "  text TEXT NOT NULL,"
	 "  client_id TEXT NOT NULL,"
	 "  ts INTEGER NOT NULL,"
	 "  UNIQUE (conversation_id, author_id, client_id));"
	 "CREATE INDEX conversation_messages_conv ON conversation_messages(conversation_id, id);"
	 /* a person's own blocks (not board_blocks, a facilitator's): blocker
	  * no longer sees what blocked writes while the block lasts
	  * [created_at, ended_at); rows are kept so that lifting a block does not
	  * reveal what was said meanwhile */
	 "CREATE TABLE user_blocks ("
	 "  id INTEGER PRIMARY KEY,"
	 "  blocker_id INTEGER NOT NULL REFERENCES users(id),"
	 "  blocked_id INTEGER NOT NULL REFERENCES users(id),"
	 "  created_at INTEGER NOT NULL,"
	 "  ended_at INTEGER);"
	 "CREATE INDEX user_blocks_pair ON user_blocks(blocker_id, blocked_id);"
	 "CREATE UNIQUE INDEX user_blocks_active ON user_blocks(blocker_id, blocked_id)"
	 "  WHERE ended_at IS NULL;"
	 /* reports to the manager. quoted is the reported content as the
	  * reporter saw it (the only copy of group content managers read);
	  * note is for managers, reply is what the reporter is told */
	 "CREATE TABLE reports ("
	 "  id INTEGER PRIMARY KEY,"
	 "  reporter_id INTEGER NOT NULL REFERENCES users(id),"
	 "  kind TEXT NOT NULL CHECK (kind IN ('confidentiality_concern', 'harassment',"
	 "    'safety', 'spam', 'other')),"
	 "  about TEXT NOT NULL CHECK (about IN ('user', 'post', 'live_message',"
	 "    'conversation_message')),"
	 "  subject_id INTEGER REFERENCES users(id)," /* the person, or the content's author */
	 "  group_id INTEGER,"
	 "  session_id INTEGER,"
	 "  seq INTEGER,"
	 "  conversation_id INTEGER,"
	 "  message_id INTEGER,"
	 "  post_id INTEGER,"
	 "  quoted TEXT,"
	 "  reason TEXT NOT NULL,"
	 "  created_at INTEGER NOT NULL,"
	 "  status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),"
	 "  resolved_at INTEGER,"
	 "  resolved_by INTEGER REFERENCES users(id),"
	 "  note TEXT,"
	 "  reply TEXT);"
	 "CREATE INDEX reports_status ON reports(status, id);"
	 "CREATE INDEX reports_reporter ON reports(reporter_id, id);"},
	{8, "mail",
	 /* the outbox, written in the same transaction as the event that causes
	  * a mail. The address is not stored: it is read from users.email when
	  * the row is sent. Pending: next_attempt_at set; sent: sent_at set;
	  * given up or dropped: neither. last_error holds codes, never addresses. */
	 "CREATE TABLE mail_outbox ("
	 "  id INTEGER PRIMARY KEY,"
	 "  user_id INTEGER NOT NULL REFERENCES users(id),"
	 "  kind TEXT NOT NULL,"              /* e.g. 'conversation_unread' */
	 "  subject TEXT NOT NULL,"
	 "  body TEXT NOT NULL,"              /* plain text; never message content */
	 "  created_at INTEGER NOT NULL,"     /* ms */
	 "  next_attempt_at INTEGER,"         /* ms; NULL once sent or given up */
	 "  attempts INTEGER NOT NULL DEFAULT 0,"
	 "  sent_at INTEGER,"
	 "  last_error TEXT);"
	 "CREATE INDEX mail_outbox_due ON mail_outbox(next_attempt_at)"
	 "  WHERE next_attempt_at IS NOT NULL;"
	 "CREATE INDEX mail_outbox_user ON mail_outbox(user_id);"},
};

const struct migration *schema_migrations(size_t *n)
{
	*n = ARRAY_LEN(migrations);
	return migrations;
}
