/*
 * groups.c — groups, their facilitators and memberships in the store, the
 * checking of a group's settings, and the moving of a cycle's base when an
 * extension is granted or ends (see groups.h).
 */
#include "groups.h"

#include <string.h>

#include "acct.h"
#include "apps.h"
#include "audit.h"
#include "clock.h"
#include "groups_int.h"
#include "mail.h"
#include "util.h"

static const char *const category_names[] = {"patient", "caregiver", "bereaved", "workshop"};
static const char *const weekday_names[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
					    "Friday", "Saturday", "Sunday"};

int groups_refuse(struct groups_why *why, int status, const char *code, const char *msg, int err)
{
	if (why) {
		why->status = status;
		why->code = code;
		why->msg = msg;
	}
	return err;
}

const char *groups_category_name(int category)
{
	if (category < 0 || category >= (int)ARRAY_LEN(category_names))
		return "patient";
	return category_names[category];
}

int groups_category_parse(const char *s)
{
	for (size_t i = 0; s && i < ARRAY_LEN(category_names); i++)
		if (!strcmp(s, category_names[i]))
			return (int)i;
	return -1;
}

const char *groups__weekday_name(int weekday)
{
	return weekday >= 1 && weekday <= 7 ? weekday_names[weekday - 1] : "?";
}

/* ---- calendar days ----
 * A cycle's base date moves by whole days, in the group's own calendar, so
 * it is kept as a day number (days since 1970-01-01), never as an instant.
 */

static int64_t days_from_civil(int64_t y, int m, int d)
{
	/* shift the year to start in March, so the leap day is the year's last */
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

int groups__date_days(const char *s, int64_t *days)
{
	int y, m, d;
	char tail;

	if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || m < 1 ||
	    m > 12 || d < 1 || d > 31)
		return -1;
	*days = days_from_civil(y, m, d);
	return 0;
}

void groups__days_date(int64_t days, char out[11])
{
	int y, m, d;

	civil_from_days(days, &y, &m, &d);
	/* schedules live in 2000-2199 (schedule.h), so four digits always suffice */
	snprintf(out, 11, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u,
		 (unsigned)d % 100u);
}

static int iso_weekday(int64_t days)
{
	return (int)(((days % 7) + 7 + 3) % 7) + 1; /* 1970-01-01 was a Thursday */
}

static int period_days(const struct sched_slot *s)
{
	return (s->cycle_weeks + s->extension_weeks + s->hiatus_weeks) * 7;
}

void groups_occurrence_date(const struct sched_slot *slot, const struct sched_occurrence *o,
			    char date[11], const char **weekday)
{
	int64_t day0 = 0, day;

	groups__date_days(slot->cycle_start, &day0);
	day = day0 + (int64_t)(o->cycle - 1) * period_days(slot) +
	      (slot->weekday - iso_weekday(day0) + 7) % 7 + (int64_t)(o->week - 1) * 7;
	groups__days_date(day, date);
	if (weekday)
		*weekday = groups__weekday_name(slot->weekday);
}

/* ---- rows ---- */

void groups__slot_from_row(sqlite3_stmt *st, int col, struct sched_slot *s)
{
	memset(s, 0, sizeof *s);
	snprintf(s->tz, sizeof s->tz, "%s", (const char *)sqlite3_column_text(st, col));
	s->weekday = sqlite3_column_int(st, col + 1);
	s->start_minute = sqlite3_column_int(st, col + 2);
	s->duration_min = sqlite3_column_int(st, col + 3);
	snprintf(s->cycle_start, sizeof s->cycle_start, "%s",
		 (const char *)sqlite3_column_text(st, col + 4));
	s->cycle_weeks = sqlite3_column_int(st, col + 5);
	s->extension_weeks = sqlite3_column_int(st, col + 6);
	s->intake_close_weeks = sqlite3_column_int(st, col + 7);
	s->hiatus_weeks = sqlite3_column_int(st, col + 8);
}

int groups__step_row(struct store_tx *tx, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		return 0;
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? STORE_ENOTFOUND : store_check(tx, rc, what);
}

int groups__step_int64(struct store_tx *tx, sqlite3_stmt *st, int64_t *out, const char *what)
{
	int rc = groups__step_row(tx, st, what);

	if (rc == 0) {
		*out = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
	}
	return rc;
}

int groups__exec(struct store_tx *tx, sqlite3_stmt *st, const char *what)
{
	int rc = store_check(tx, sqlite3_step(st), what);

	sqlite3_reset(st);
	return rc;
}

int groups__audit(struct store_tx *tx, int64_t actor, const char *action, const char *type,
		  int64_t target, json_t *detail)
{
	char *text = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	int rc = audit_append(tx, actor, action, type, target, text);

	free(text);
	json_decref(detail);
	return rc;
}

/* ---- access ---- */

int groups_access(struct store_tx *tx, int64_t group_id, int64_t user_id, int64_t at_ms,
		  int *access)
{
	sqlite3_stmt *st = store_stmt(
	    tx, "SELECT EXISTS (SELECT 1 FROM group_facilitators f JOIN users u ON u.id = f.user_id"
		" WHERE f.group_id = g.id AND f.user_id = ?2 AND u.erased_at IS NULL"
		" AND u.role IN ('facilitator', 'manager')),"
		" EXISTS (SELECT 1 FROM memberships m WHERE m.group_id = g.id AND m.user_id = ?2"
		" AND m.started_at <= ?3 AND (m.ended_at IS NULL OR m.ended_at > ?3))"
		" FROM groups g WHERE g.id = ?1");
	int rc;

	*access = GROUP_NONE;
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, group_id);
	sqlite3_bind_int64(st, 2, user_id);
	sqlite3_bind_int64(st, 3, at_ms);
	if ((rc = groups__step_row(tx, st, "groups_access")))
		return rc;
	*access = sqlite3_column_int(st, 0)   ? GROUP_FACILITATOR
		  : sqlite3_column_int(st, 1) ? GROUP_MEMBER
					      : GROUP_NONE;
	sqlite3_reset(st);
	return 0;
}

int groups_get_slot(struct store_tx *tx, int64_t group_id, struct sched_slot *slot, char *name,
		    size_t namelen, int *capacity, int *checkins)
{
	sqlite3_stmt *st = store_stmt(tx, "SELECT " GROUPS_SLOT_COLS ", g.name, g.capacity,"
					  " g.checkins_enabled FROM groups g WHERE g.id = ?");
	int rc;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, group_id);
	if ((rc = groups__step_row(tx, st, "groups_slot")))
		return rc;
	if (slot)
		groups__slot_from_row(st, 0, slot);
	if (name && namelen)
		snprintf(name, namelen, "%s", (const char *)sqlite3_column_text(st, 9));
	if (capacity)
		*capacity = sqlite3_column_int(st, 10);
	if (checkins)
		*checkins = sqlite3_column_int(st, 11);
	sqlite3_reset(st);
	return 0;
}

/* ---- settings ---- */

void groups_spec_init(struct groups_spec *g)
{
	memset(g, 0, sizeof *g);
	g->name = xstrdup("");
	g->description = xstrdup("");
	g->capacity = GROUPS_CAPACITY_DEFAULT;
	g->extension_allowed = 1;
	g->questions = json_array();
	g->slot.duration_min = SCHED_DURATION_DEFAULT;
	g->slot.cycle_weeks = 12;
	g->slot.weekday = 1;
}

void groups_spec_free(struct groups_spec *g)
{
	free(g->name);
	free(g->description);
	json_decref(g->questions);
	memset(g, 0, sizeof *g);
}

/* 1 when s is text a person wrote: valid UTF-8 without control characters except newlines. */
static int plain_text(const char *s, int allow_newlines)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p < 0x20 && !(allow_newlines && (*p == '\n' || *p == '\r' || *p == '\t'))) ||
		    *p == 0x7f)
			return 0;
	return 1;
}

/* A string of 1..max code points (0..max when may_be_empty). */
static int text_ok(json_t *v, size_t max, int may_be_empty, int newlines)
{
	const char *s;
	size_t n;

	if (!json_is_string(v))
		return 0;
	s = json_string_value(v);
	n = json_string_length(v);
	if (n > max * 4 || strlen(s) != n || !utf8_valid(s, n) || !plain_text(s, newlines))
		return 0;
	n = utf8_len(s, n);
	return (may_be_empty || n > 0) && n <= max;
}

static int int_in(json_t *v, json_int_t lo, json_int_t hi, int *out)
{
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return 0;
	*out = (int)json_integer_value(v);
	return 1;
}

static int parse_weekday(json_t *v, int *out)
{
	static const char *const names[] = {"monday", "tuesday",  "wednesday", "thursday",
					    "friday", "saturday", "sunday"};

	if (json_is_string(v)) {
		for (int i = 0; i < 7; i++)
			if (!strcasecmp(json_string_value(v), names[i])) {
				*out = i + 1;
				return 1;
			}
		return 0;
	}
	return int_in(v, 1, 7, out);
}

static int parse_hhmm(json_t *v, int *out)
{
	const char *s = json_string_value(v);

	if (!s || strlen(s) != 5 || s[2] != ':')
		return 0;
	for (int i = 0; i < 5; i++)
		if (i != 2 && (s[i] < '0' || s[i] > '9'))
			return 0;
	int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
	if (h > 23 || m > 59)
		return 0;
	*out = h * 60 + m;
	return 1;
}

static int parse_facilitators(json_t *v, struct groups_spec *g)
{
	size_t i;
	json_t *e;

	if (!json_is_array(v) || json_array_size(v) > GROUPS_FACILITATORS_MAX)
		return 0;
	g->nfacilitators = 0;
	json_array_foreach(v, i, e)
	{
		if (!json_is_integer(e) || json_integer_value(e) < 1)
			return 0;
		for (int k = 0; k < g->nfacilitators; k++)
			if (g->facilitators[k] == json_integer_value(e))
				return 0;
		g->facilitators[g->nfacilitators++] = json_integer_value(e);
	}
	return 1;
}

static int parse_questions(json_t *v, struct groups_spec *g)
{
	size_t i;
	json_t *e;

	if (!json_is_array(v) || json_array_size(v) > GROUPS_QUESTIONS_MAX)
		return 0;
	json_array_foreach(v, i, e)
	{
		if (!text_ok(e, GROUPS_QUESTION_MAX, 0, 0))
			return 0;
	}
	json_decref(g->questions);
	g->questions = json_deep_copy(v);
	return 1;
}

static int bool_field(json_t *v, int *out)
{
	if (!json_is_boolean(v))
		return 0;
	*out = json_is_true(v);
	return 1;
}

/* One key of a group's settings: 1 applied, 0 bad value, -1 unknown key. */
static int apply_key(struct groups_spec *g, const char *key, json_t *v)
{
	int n;

	if (!strcmp(key, "name")) {
		if (!text_ok(v, GROUPS_NAME_MAX, 0, 0))
			return 0;
		free(g->name);
		g->name = xstrdup(json_string_value(v));
	} else if (!strcmp(key, "category")) {
		if ((g->category = groups_category_parse(json_string_value(v))) < 0)
			return 0;
	} else if (!strcmp(key, "description")) {
		if (!text_ok(v, GROUPS_DESC_MAX, 1, 1))
			return 0;
		free(g->description);
		g->description = xstrdup(json_string_value(v));
	} else if (!strcmp(key, "capacity")) {
		return int_in(v, 1, GROUPS_CAPACITY_MAX, &g->capacity);
	} else if (!strcmp(key, "facilitators")) {
		return parse_facilitators(v, g);
	} else if (!strcmp(key, "screening_questions")) {
		return parse_questions(v, g);
	} else if (!strcmp(key, "timezone")) {
		if (!json_is_string(v) || json_string_length(v) >= sizeof g->slot.tz)
			return 0;
		snprintf(g->slot.tz, sizeof g->slot.tz, "%s", json_string_value(v));
	} else if (!strcmp(key, "weekday")) {
		return parse_weekday(v, &g->slot.weekday);
	} else if (!strcmp(key, "start_time")) {
		return parse_hhmm(v, &g->slot.start_minute);
	} else if (!strcmp(key, "duration_min")) {
		return int_in(v, 1, SCHED_DURATION_MAX, &g->slot.duration_min);
	} else if (!strcmp(key, "cycle_start")) {
		if (!json_is_string(v) || json_string_length(v) != 10)
			return 0;
		snprintf(g->slot.cycle_start, sizeof g->slot.cycle_start, "%s",
			 json_string_value(v));
	} else if (!strcmp(key, "cycle_weeks")) {
		if (!int_in(v, 12, 15, &n) || (n != 12 && n != 15))
			return 0;
		g->slot.cycle_weeks = n;
	} else if (!strcmp(key, "intake_close_weeks")) {
		return int_in(v, 0, 15, &g->slot.intake_close_weeks);
	} else if (!strcmp(key, "hiatus_weeks")) {
		return int_in(v, 0, SCHED_HIATUS_MAX, &g->slot.hiatus_weeks);
	} else if (!strcmp(key, "extension_allowed")) {
		return bool_field(v, &g->extension_allowed);
	} else if (!strcmp(key, "checkins_enabled")) {
		return bool_field(v, &g->checkins_enabled);
	} else {
		return -1;
	}
	return 1;
}

static const char *field_problem(const char *key)
{
	static const struct {
		const char *key, *msg;
	} msgs[] = {
	    {"name", "A group's name is 1 to 100 characters of plain text."},
	    {"category", "category must be patient, caregiver, bereaved or workshop."},
	    {"description", "A description is at most 4000 characters."},
	    {"capacity", "capacity must be a whole number from 1 to 50."},
	    {"facilitators", "facilitators must be a list of at most 8 different user ids."},
	    {"screening_questions",
	     "screening_questions must be a list of at most 20 questions of 1 to 500 characters."},
	    {"timezone", "timezone must be an IANA name such as Europe/London."},
	    {"weekday", "weekday must be 1 (Monday) to 7 (Sunday), or a day's name."},
	    {"start_time", "start_time must be a local time HH:MM, such as 19:00."},
	    {"duration_min", "duration_min must be 1 to 240 minutes."},
	    {"cycle_start", "cycle_start must be a date YYYY-MM-DD."},
	    {"cycle_weeks", "A cycle is 12 or 15 weeks."},
	    {"intake_close_weeks", "intake_close_weeks must be fewer than the cycle's weeks."},
	    {"hiatus_weeks", "hiatus_weeks must be 0 to 52."},
	    {"extension_allowed", "extension_allowed must be true or false."},
	    {"checkins_enabled", "checkins_enabled must be true or false."},
	};
	for (size_t i = 0; i < ARRAY_LEN(msgs); i++)
		if (!strcmp(msgs[i].key, key))
			return msgs[i].msg;
	return "A field has a value that is not allowed.";
}

int groups_spec_apply(struct groups_spec *g, json_t *patch, int creating, struct groups_why *why)
{
	static const char *const required[] = {"name",	  "category",	"timezone",
					       "weekday", "start_time", "cycle_start"};
	const char *key, *sched_why = NULL;
	json_t *v;

	if (!json_is_object(patch))
		return groups_refuse(why, 400, "bad_request", "Please send a JSON object.", -1);
	for (size_t i = 0; creating && i < ARRAY_LEN(required); i++)
		if (!json_object_get(patch, required[i]))
			return groups_refuse(why, 400, "missing_field",
					     "Please give the group's name, category, time zone, "
					     "weekday, start time and cycle start date.",
					     -1);
	json_object_foreach(patch, key, v)
	{
		int rc = apply_key(g, key, v);

		if (rc < 0)
			return groups_refuse(why, 400, "unknown_field",
					     "That field is not part of a group's settings.", -1);
		if (rc == 0)
			return groups_refuse(why, 400, "bad_field", field_problem(key), -1);
	}
	if (sched_validate(&g->slot, &sched_why))
		/* the schedule's sentence is static and names the field */
		return groups_refuse(why, 400, "bad_schedule",
				     sched_why ? sched_why : "The schedule is not valid.", -1);
	return 0;
}

/* Each facilitator must be a live account of a staff role. */
static int check_facilitators(struct store_tx *tx, const struct groups_spec *g,
			      struct groups_why *why)
{
	sqlite3_stmt *st = store_stmt(tx, "SELECT role FROM users WHERE id = ?"
					  " AND erased_at IS NULL");

	if (!st)
		return STORE_EIO;
	for (int i = 0; i < g->nfacilitators; i++) {
		int ok;

		sqlite3_bind_int64(st, 1, g->facilitators[i]);
		ok = sqlite3_step(st) == SQLITE_ROW &&
		     acct_role_parse((const char *)sqlite3_column_text(st, 0)) >= ACCT_FACILITATOR;
		sqlite3_reset(st);
		if (!ok)
			return groups_refuse(why, 400, "bad_facilitator",
					     "Each facilitator must be an account with the "
					     "facilitator or manager role.",
					     STORE_EINVAL);
	}
	return 0;
}

static int set_facilitators(struct store_tx *tx, int64_t id, const struct groups_spec *g,
			    int64_t now)
{
	sqlite3_stmt *del = store_stmt(tx, "DELETE FROM group_facilitators WHERE group_id = ?"),
		     *ins;
	int rc;

	if (!del)
		return STORE_EIO;
	sqlite3_bind_int64(del, 1, id);
	if ((rc = groups__exec(tx, del, "facilitators_clear")))
		return rc;
	/* added_at is not kept across edits: group_facilitators holds the current list only */
	ins = store_stmt(tx, "INSERT INTO group_facilitators (group_id, user_id, added_at)"
			     " VALUES (?, ?, ?)");
	if (!ins)
		return STORE_EIO;
	for (int i = 0; rc == 0 && i < g->nfacilitators; i++) {
		sqlite3_bind_int64(ins, 1, id);
		sqlite3_bind_int64(ins, 2, g->facilitators[i]);
		sqlite3_bind_int64(ins, 3, now);
		rc = groups__exec(tx, ins, "facilitators_add");
	}
	return rc;
}

/* Bind the settings to ?1..?17 of an INSERT or UPDATE of groups. */
static void bind_spec(sqlite3_stmt *st, const struct groups_spec *g, char **questions)
{
	*questions = json_dumps(g->questions, JSON_COMPACT);
	sqlite3_bind_text(st, 1, g->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, groups_category_name(g->category), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, g->description, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, g->capacity);
	sqlite3_bind_text(st, 5, *questions ? *questions : "[]", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, g->slot.tz, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 7, g->slot.weekday);
	sqlite3_bind_int(st, 8, g->slot.start_minute);
	sqlite3_bind_int(st, 9, g->slot.duration_min);
	sqlite3_bind_text(st, 10, g->slot.cycle_start, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 11, g->slot.cycle_weeks);
	sqlite3_bind_int(st, 12, g->slot.extension_weeks);
	sqlite3_bind_int(st, 13, g->extension_allowed);
	sqlite3_bind_int(st, 14, g->slot.intake_close_weeks);
	sqlite3_bind_int(st, 15, g->slot.hiatus_weeks);
	sqlite3_bind_int(st, 16, g->checkins_enabled);
}

int groups_insert(struct store_tx *tx, const struct groups_spec *g, int64_t actor, int64_t *id,
		  struct groups_why *why)
{
	int64_t now = clock_now_ms();
	sqlite3_stmt *st;
	char *questions = NULL;
	int rc = check_facilitators(tx, g, why);

	if (rc)
		return rc;
	st = store_stmt(tx, "INSERT INTO groups (name, category, description, capacity, questions,"
			    " tz, weekday, start_minute, duration_min, cycle_start, cycle_weeks,"
			    " extension_weeks, extension_allowed, intake_close_weeks, hiatus_weeks,"
			    " checkins_enabled, created_by, created_at, updated_at) VALUES"
			    " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,"
			    " ?16, ?17, ?18, ?18)");
	if (!st)
		return STORE_EIO;
	bind_spec(st, g, &questions);
	if (actor > 0)
		sqlite3_bind_int64(st, 17, actor);
	sqlite3_bind_int64(st, 18, now);
	rc = groups__exec(tx, st, "groups_insert");
	free(questions);
	if (rc)
		return rc;
	*id = sqlite3_last_insert_rowid(store_db(tx));
	rc = set_facilitators(tx, *id, g, now);
	if (rc == 0)
		rc = groups__audit(tx, actor, "group_create", "group", *id,
				   json_pack("{s:s,s:i}", "category",
					     groups_category_name(g->category), "facilitators",
					     g->nfacilitators));
	return rc;
}

int groups_load(struct store_tx *tx, int64_t id, struct groups_spec *g)
{
	sqlite3_stmt *st = store_stmt(tx, "SELECT " GROUPS_SLOT_COLS ", g.name, g.category,"
					  " g.description, g.capacity, g.questions,"
					  " g.extension_allowed, g.checkins_enabled"
					  " FROM groups g WHERE g.id = ?");
	int rc;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, id);
	if ((rc = groups__step_row(tx, st, "groups_load")))
		return rc;
	groups__slot_from_row(st, 0, &g->slot);
	free(g->name);
	g->name = xstrdup((const char *)sqlite3_column_text(st, 9));
	g->category = groups_category_parse((const char *)sqlite3_column_text(st, 10));
	free(g->description);
	g->description = xstrdup((const char *)sqlite3_column_text(st, 11));
	g->capacity = sqlite3_column_int(st, 12);
	json_decref(g->questions);
	g->questions = json_loads((const char *)sqlite3_column_text(st, 13), 0, NULL);
	if (!json_is_array(g->questions)) {
		json_decref(g->questions);
		g->questions = json_array();
	}
	g->extension_allowed = sqlite3_column_int(st, 14);
	g->checkins_enabled = sqlite3_column_int(st, 15);
	sqlite3_reset(st);

	st = store_stmt(tx, "SELECT user_id FROM group_facilitators WHERE group_id = ?"
			    " ORDER BY user_id");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, id);
	g->nfacilitators = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && g->nfacilitators < GROUPS_FACILITATORS_MAX)
		g->facilitators[g->nfacilitators++] = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : store_check(tx, rc, "groups_load_fac");
}

int groups_update(struct store_tx *tx, int64_t id, const struct groups_spec *g, int64_t actor,
		  json_t *fields, struct groups_why *why)
{
	int64_t now = clock_now_ms();
	sqlite3_stmt *st;
	char *questions = NULL;
	int rc;

	/* an edit of other fields does not stall on a facilitator demoted since */
	if (json_object_get(fields, "facilitators") && (rc = check_facilitators(tx, g, why)))
		return rc;
	st = store_stmt(tx, "UPDATE groups SET name = ?1, category = ?2, description = ?3,"
			    " capacity = ?4, questions = ?5, tz = ?6, weekday = ?7,"
			    " start_minute = ?8, duration_min = ?9, cycle_start = ?10,"
			    " cycle_weeks = ?11, extension_weeks = ?12, extension_allowed = ?13,"
			    " intake_close_weeks = ?14, hiatus_weeks = ?15, checkins_enabled = ?16,"
			    " updated_at = ?18 WHERE id = ?17");
	if (!st)
		return STORE_EIO;
	bind_spec(st, g, &questions);
	sqlite3_bind_int64(st, 17, id);
	sqlite3_bind_int64(st, 18, now);
	rc = groups__exec(tx, st, "groups_update");
	free(questions);
	if (rc)
		return rc;
	if (sqlite3_changes(store_db(tx)) == 0)
		return STORE_ENOTFOUND;
	if (json_object_get(fields, "facilitators") && (rc = set_facilitators(tx, id, g, now)))
		return rc;
	{
		json_t *keys = json_array();
		const char *k;
		json_t *v;

		json_object_foreach(fields, k, v)
		{
			json_array_append_new(keys, json_string(k));
		}
		rc = groups__audit(tx, actor, "group_update", "group", id,
				   json_pack("{s:o}", "fields", keys));
	}
	return rc;
}

/* ---- seats and memberships ---- */

int groups_seats(struct store_tx *tx, int64_t group_id, const struct sched_slot *slot, int capacity,
		 int64_t now, struct groups_seats *out)
{
	sqlite3_stmt *st = store_stmt(
	    tx,
	    "SELECT (SELECT count(*) FROM memberships WHERE group_id = ?1 AND ended_at IS NULL),"
	    " (SELECT count(*) FROM offers WHERE group_id = ?1 AND state = 'open'),"
	    " (SELECT count(*) FROM waitlist WHERE group_id = ?1 AND state = 'waiting')");
	int rc, open;

	memset(out, 0, sizeof *out);
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, group_id);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return store_check(tx, rc, "groups_seats");
	}
	out->capacity = capacity;
	out->active = sqlite3_column_int(st, 0);
	out->offered = sqlite3_column_int(st, 1);
	out->waiting = sqlite3_column_int(st, 2);
	sqlite3_reset(st);
	out->seats_left = capacity - out->active - out->offered;
	if (out->seats_left < 0)
		out->seats_left = 0;
	open = sched_intake_open(slot, now);
	out->intake_open = open > 0;
	return 0;
}

int64_t groups_active_elsewhere(struct store_tx *tx, int64_t user_id, int64_t except_group)
{
	sqlite3_stmt *st = store_stmt(tx, "SELECT m.group_id FROM memberships m JOIN groups g"
					  " ON g.id = m.group_id WHERE m.user_id = ?"
					  " AND m.ended_at IS NULL AND g.category != 'workshop'"
					  " AND m.group_id != ? LIMIT 1");
	int64_t gid = 0;
	int rc;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int64(st, 2, except_group);
	rc = groups__step_int64(tx, st, &gid, "groups_elsewhere");
	if (rc == STORE_ENOTFOUND)
		return 0;
	return rc ? rc : gid;
}

int groups__is_workshop(struct store_tx *tx, int64_t group_id, int *workshop)
{
	sqlite3_stmt *st = store_stmt(tx, "SELECT category = 'workshop' FROM groups WHERE id = ?");
	int64_t v = 0;
	int rc;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, group_id);
	rc = groups__step_int64(tx, st, &v, "groups_category");
	*workshop = (int)v;
	return rc;
}

int groups_ever_member(struct store_tx *tx, int64_t group_id, int64_t user_id)
{
	sqlite3_stmt *st = store_stmt(tx, "SELECT 1 FROM memberships WHERE group_id = ?"
					  " AND user_id = ? LIMIT 1");
	int found;

	if (!st)
		return 0;
	sqlite3_bind_int64(st, 1, group_id);
	sqlite3_bind_int64(st, 2, user_id);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	return found;
}

int groups__is_active_member(struct store_tx *tx, int64_t group_id, int64_t user_id, int *yes)
{
	sqlite3_stmt *st = store_stmt(tx, "SELECT EXISTS (SELECT 1 FROM memberships WHERE"
					  " group_id = ? AND user_id = ? AND ended_at IS NULL)");
	int64_t v = 0;
	int rc;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, group_id);
	sqlite3_bind_int64(st, 2, user_id);
	rc = groups__step_int64(tx, st, &v, "groups_is_member");
	*yes = (int)v;
	return rc;
}

int groups__check_can_join(struct store_tx *tx, int64_t group_id, int64_t user_id,
			   struct groups_why *why)
{
	int workshop, member, rc;
	int64_t other;

	if ((rc = groups__is_workshop(tx, group_id, &workshop)))
		return rc;
	if ((rc = groups__is_active_member(tx, group_id, user_id, &member)))
		return rc;
	if (member)
		return groups_refuse(why, 409, "already_member", "You are already in this group.",
				     STORE_ECONFLICT);
	if (workshop)
		return 0;
	other = groups_active_elsewhere(tx, user_id, group_id);
	if (other < 0)
		return (int)other;
	if (other > 0)
		return groups_refuse(why, 409, "already_in_group",
				     "A member can be in one group at a time (workshops aside). "
				     "This person is already in another group.",
				     STORE_ECONFLICT);
	return 0;
}

int groups_join(struct store_tx *tx, int64_t group_id, int64_t user_id, int64_t application_id,
		int64_t now, int64_t actor, struct groups_why *why)
{
	sqlite3_stmt *st;
	int64_t mid = 0;
	int rc = groups__check_can_join(tx, group_id, user_id, why);

	if (rc)
		return rc;
	st = store_stmt(tx, "INSERT INTO memberships (group_id, user_id, started_at,"
			    " application_id) VALUES (?, ?, ?, ?)");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, group_id);
	sqlite3_bind_int64(st, 2, user_id);
	sqlite3_bind_int64(st, 3, now);
	if (application_id > 0)
		sqlite3_bind_int64(st, 4, application_id);
	if ((rc = groups__exec(tx, st, "membership_insert")))
		return rc;
	mid = sqlite3_last_insert_rowid(store_db(tx));
	return groups__audit(
	    tx, actor, "membership_start", "membership", mid,
	    json_pack("{s:I,s:I}", "group", (json_int_t)group_id, "user", (json_int_t)user_id));
}

int groups_end_membership(struct store_tx *tx, int64_t group_id, int64_t user_id, int64_t now,
			  const char *reason, int64_t actor)
{
	sqlite3_stmt *st = store_stmt(tx, "UPDATE memberships SET ended_at = ?, ended_reason = ?"
					  " WHERE group_id = ? AND user_id = ? AND ended_at IS NULL"
					  " RETURNING id");
	int64_t mid = 0;
	int rc;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_text(st, 2, reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, group_id);
	sqlite3_bind_int64(st, 4, user_id);
	if ((rc = groups__step_int64(tx, st, &mid, "membership_end")))
		return rc;
	return groups__audit(tx, actor, "membership_end", "membership", mid,
			     json_pack("{s:I,s:I,s:s}", "group", (json_int_t)group_id, "user",
				       (json_int_t)user_id, "reason", reason));
}

/* ---- extensions ---- */

/* Move the base of g's numbering to the first day of its sched cycle `cycle` (2 or more). */
static int rebase(struct store_tx *tx, int64_t group_id, const struct sched_slot *s, int cycle,
		  int extension_weeks)
{
	sqlite3_stmt *st = store_stmt(tx, "UPDATE groups SET cycle_start = ?, extension_weeks = ?,"
					  " cycles_before = cycles_before + ?, updated_at = ?"
					  " WHERE id = ?");
	int64_t day0;
	char date[11];

	if (!st)
		return STORE_EIO;
	if (groups__date_days(s->cycle_start, &day0))
		return STORE_EINVAL;
	groups__days_date(day0 + (int64_t)(cycle - 1) * period_days(s), date);
	sqlite3_bind_text(st, 1, date, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 2, extension_weeks);
	sqlite3_bind_int(st, 3, cycle - 1);
	sqlite3_bind_int64(st, 4, clock_now_ms());
	sqlite3_bind_int64(st, 5, group_id);
	return groups__exec(tx, st, "groups_rebase");
}

int groups__current_cycle(struct store_tx *tx, int64_t group_id, int64_t now,
			  struct sched_slot *slot, struct sched_cycle *c, int64_t *absolute,
			  int *allowed)
{
	sqlite3_stmt *st = store_stmt(tx, "SELECT " GROUPS_SLOT_COLS ", g.cycles_before,"
					  " g.extension_allowed FROM groups g WHERE g.id = ?");
	int rc;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, group_id);
	if ((rc = groups__step_row(tx, st, "groups_cycle")))
		return rc;
	groups__slot_from_row(st, 0, slot);
	*absolute = sqlite3_column_int64(st, 9);
	*allowed = sqlite3_column_int(st, 10);
	sqlite3_reset(st);
	if (sched_cycle_at(slot, now, c))
		return STORE_EINVAL;
	*absolute += c->cycle;
	return 0;
}

int groups_grant_extension(struct store_tx *tx, int64_t group_id, int64_t actor, int64_t now,
			   struct groups_why *why)
{
	struct sched_slot s;
	struct sched_cycle c;
	int64_t absolute;
	int allowed, rc = groups__current_cycle(tx, group_id, now, &s, &c, &absolute, &allowed);

	if (rc)
		return rc;
	if (!allowed)
		return groups_refuse(why, 409, "extension_not_offered",
				     "This group does not offer the 12-week extension.",
				     STORE_ECONFLICT);
	if (s.extension_weeks)
		return groups_refuse(why, 409, "already_extended",
				     "This cycle has already been extended.", STORE_ECONFLICT);
	if (c.start_ms > now)
		return groups_refuse(why, 409, "not_in_cycle",
				     "The group is between cycles; an extension is for the cycle "
				     "in progress.",
				     STORE_ECONFLICT);
	/* the extension lengthens every cycle of a slot, so the slot must start at this one */
	if ((rc = rebase(tx, group_id, &s, c.cycle, 12)))
		return rc;
	return groups__audit(tx, actor, "extension_granted", "group", group_id,
			     json_pack("{s:I}", "cycle", (json_int_t)absolute));
}

int groups__roll_extensions(struct store_tx *tx, int64_t now, int *rolled)
{
	sqlite3_stmt *st = store_stmt(tx, "SELECT g.id, " GROUPS_SLOT_COLS " FROM groups g"
					  " WHERE g.extension_weeks > 0 ORDER BY g.id");
	struct {
		int64_t id;
		struct sched_slot s;
	} due[32];
	int n = 0, rc;

	if (!st)
		return STORE_EIO;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < (int)ARRAY_LEN(due)) {
		struct sched_cycle c;

		due[n].id = sqlite3_column_int64(st, 0);
		groups__slot_from_row(st, 1, &due[n].s);
		/* cycle 1 is the extended one; once it has ended, cycle 2 is plain */
		if (sched_cycle_at(&due[n].s, now, &c) == 0 && c.cycle >= 2)
			n++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_check(tx, rc, "groups_roll");
	for (int i = 0; i < n; i++) {
		if ((rc = rebase(tx, due[i].id, &due[i].s, 2, 0)))
			return rc;
		if ((rc = groups__audit(tx, AUDIT_SYSTEM, "extension_ended", "group", due[i].id,
					NULL)))
			return rc;
	}
	*rolled += n;
	return 0;
}

/* ---- erasure ---- */

int groups_erase_user(struct store_tx *tx, int64_t user_id)
{
	sqlite3_stmt *st = store_stmt(tx, "UPDATE memberships SET ended_at = ?, ended_reason ="
					  " 'erased' WHERE user_id = ? AND ended_at IS NULL");
	int rc;

	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, clock_now_ms());
	sqlite3_bind_int64(st, 2, user_id);
	if ((rc = groups__exec(tx, st, "erase_memberships")))
		return rc;
	st = store_stmt(tx, "DELETE FROM group_facilitators WHERE user_id = ?");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, user_id);
	if ((rc = groups__exec(tx, st, "erase_facilitator")))
		return rc;
	st = store_stmt(tx, "DELETE FROM extension_requests WHERE user_id = ?");
	if (!st)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, user_id);
	if ((rc = groups__exec(tx, st, "erase_ext_requests")))
		return rc;
	return apps_erase_user(tx, user_id);
}

/* ---- events ---- */

static groups_event_fn event_hooks[8];
static size_t n_event_hooks;

void groups_on_event(groups_event_fn fn)
{
	if (n_event_hooks < ARRAY_LEN(event_hooks))
		event_hooks[n_event_hooks++] = fn;
}

void groups_emit(struct server *srv, int64_t group_id, int64_t user_id, enum groups_event ev)
{
	for (size_t i = 0; i < n_event_hooks; i++)
		event_hooks[i](srv, group_id, user_id, ev);
}

/* ---- mail ---- */

int groups__mail(struct store_tx *tx, int64_t user_id, const char *kind, const char *subject,
		 const char *body)
{
	return mail_enqueue(tx, user_id, kind, subject, body);
}
