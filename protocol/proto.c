/*
 * proto.c — the protocol's tables and the checks shared by decoder and
 * encoder: error codes with their wire names and messages, the names of
 * frame types and mod actions, UTF-8 decoding, and the rules for texts and
 * tokens (client_id, ref).
 *
 * Decoding lives in proto_decode.c, encoding in proto_encode.c.
 */
#include "proto.h"
#include "proto_int.h"

#include <string.h>

/*
 * The one table of wire error codes, indexed by -code. Messages are what a
 * person sees, often while unwell or grieving: calm, plain, and never
 * blaming. The third column is for logs.
 */
static const struct {
	const char *code;
	const char *message;
	const char *why;
} errors[] = {
    [-PROTO_EBAD_JSON] = {"bad_json", "That message could not be read. Please try again.",
			  "malformed JSON, invalid UTF-8, duplicate key or deep nesting"},
    [-PROTO_EFRAME_TOO_LARGE] = {"frame_too_large",
				 "That was too much to send at once. Please send it in "
				 "smaller parts.",
				 "frame larger than PROTO_MAX_FRAME"},
    [-PROTO_EUNKNOWN_TYPE] = {"unknown_type", "That request was not recognised.",
			      "unknown frame type"},
    [-PROTO_EMISSING_FIELD] = {"missing_field", "Part of that request was missing.",
			       "required field missing"},
    [-PROTO_EBAD_FIELD] = {"bad_field", "Part of that request was not in the expected form.",
			   "field has the wrong type or is out of range"},
    [-PROTO_EUNKNOWN_FIELD] = {"unknown_field", "That request contained something unexpected.",
			       "field not allowed in this frame"},
    [-PROTO_ETEXT_TOO_LONG] = {"text_too_long",
			       "Messages can be up to 4000 characters. Please shorten it a "
			       "little, or send it in parts.",
			       "text longer than PROTO_TEXT_MAX code points"},
    [-PROTO_ETEXT_EMPTY] = {"text_empty", "There is nothing to send yet.",
			    "text empty or only white space"},
    [-PROTO_EBAD_TEXT] = {"bad_text",
			  "That message contains characters that cannot be sent. Please "
			  "remove them and try again.",
			  "text contains control characters"},
    [-PROTO_ENOT_LOGGED_IN] = {"not_logged_in", "You are signed out. Please sign in again.",
			       "no valid login session"},
    [-PROTO_ENOT_MEMBER] = {"not_member", "This space is only for members of the group.",
			    "not a member of the group"},
    [-PROTO_ESESSION_NOT_OPEN] = {"session_not_open", "This session has not opened yet.",
				  "session not open"},
    [-PROTO_ESESSION_FULL] = {"session_full",
			      "This session is full at the moment. Your facilitator can help.",
			      "session at capacity"},
    [-PROTO_ENOT_JOINED] = {"not_joined", "Please join the session before sending messages.",
			    "frame for a session the connection has not joined"},
    [-PROTO_ERATE_LIMITED] = {"rate_limited",
			      "You are sending messages very quickly. Please wait a moment "
			      "and try again.",
			      "rate limit exceeded"},
    [-PROTO_EMUTED] = {"muted", "The facilitator has paused your messages for now.",
		       "author is muted"},
    [-PROTO_EREMOVED] = {"removed",
			 "You are no longer part of this session. Your facilitator can tell "
			 "you more.",
			 "removed from the session"},
    [-PROTO_ENOT_FACILITATOR] = {"not_facilitator", "Only the facilitator can do that.",
				 "facilitator action by a non-facilitator"},
    [-PROTO_ENOT_FOUND] = {"not_found", "We could not find that. It may have been removed.",
			   "no such object (or not visible to this user)"},
    [-PROTO_EDUPLICATE] = {"duplicate", "You have just sent that same message.",
			   "identical message repeated"},
    [-PROTO_ECLOSED] = {"closed", "This session has ended.", "session closed"},
    [-PROTO_EOVERLOADED] = {"overloaded",
			    "We are very busy just now. Please try again in a moment.",
			    "server overloaded"},
    [-PROTO_EINTERNAL] = {"internal", "Something went wrong on our side. Please try again.",
			  "internal error"},
    [-PROTO_EPAUSED] = {"paused",
			"The facilitator has paused the conversation for a moment. You can "
			"write again when it resumes.",
			"session paused by the facilitator"},
};

_Static_assert(sizeof(errors) / sizeof(errors[0]) == -PROTO_E__END,
	       "every wire error code needs a row in the table");

static int is_wire_code(int err)
{
	return err < 0 && err > PROTO_E__END;
}

const char *proto_error_code(int err)
{
	return is_wire_code(err) ? errors[-err].code : errors[-PROTO_EINTERNAL].code;
}

const char *proto_error_message(int err)
{
	return is_wire_code(err) ? errors[-err].message : errors[-PROTO_EINTERNAL].message;
}

const char *proto_strerror(int err)
{
	if (err == PROTO_OK)
		return "success";
	if (is_wire_code(err))
		return errors[-err].why;
	if (err == PROTO_ENOMEM)
		return "out of memory";
	if (err == PROTO_EINVAL)
		return "invalid argument";
	return "unknown error";
}

int proto_error_from_code(const char *code)
{
	if (!code)
		return PROTO_EINVAL;
	for (int i = 1; i < -PROTO_E__END; i++)
		if (strcmp(errors[i].code, code) == 0)
			return -i;
	return PROTO_EINVAL;
}

static const char *const in_names[] = {
    [PROTO_IN_NONE] = "",	    [PROTO_IN_JOIN] = "join",	    [PROTO_IN_LEAVE] = "leave",
    [PROTO_IN_SAY] = "say",	    [PROTO_IN_TYPING] = "typing",   [PROTO_IN_RESUME] = "resume",
    [PROTO_IN_MOD] = "mod",	    [PROTO_IN_CHECKIN] = "checkin", [PROTO_IN_DM_SEND] = "dm_send",
    [PROTO_IN_DM_READ] = "dm_read", [PROTO_IN_PING] = "ping",
};

const char *proto_in_type_name(enum proto_in_type t)
{
	if ((size_t)t >= sizeof(in_names) / sizeof(in_names[0]))
		return "";
	return in_names[t];
}

static const char *const action_names[] = {
    [PROTO_MOD_NONE] = "",
    [PROTO_MOD_MUTE] = "mute",
    [PROTO_MOD_UNMUTE] = "unmute",
    [PROTO_MOD_REMOVE] = "remove",
    [PROTO_MOD_REDACT] = "redact",
    [PROTO_MOD_HIGHLIGHT] = "highlight",
    [PROTO_MOD_ANNOUNCE] = "announce",
    [PROTO_MOD_PAUSE] = "pause",
    [PROTO_MOD_RESUME_ROOM] = "resume_room",
    [PROTO_MOD_EXTEND] = "extend",
    [PROTO_MOD_END] = "end",
};

const char *proto_mod_action_name(enum proto_mod_action a)
{
	if ((size_t)a >= sizeof(action_names) / sizeof(action_names[0]))
		return "";
	return action_names[a];
}

static const char *const out_names[] = {
    [PROTO_OUT_NONE] = "",
    [PROTO_OUT_WELCOME] = "welcome",
    [PROTO_OUT_JOINED] = "joined",
    [PROTO_OUT_MSG] = "msg",
    [PROTO_OUT_ACK] = "ack",
    [PROTO_OUT_PRESENCE] = "presence",
    [PROTO_OUT_TYPING] = "typing",
    [PROTO_OUT_SESSION_STATE] = "session_state",
    [PROTO_OUT_REDACTED] = "redacted",
    [PROTO_OUT_HIGHLIGHT] = "highlight",
    [PROTO_OUT_TURNS] = "turns",
    [PROTO_OUT_CHECKIN_PROMPT] = "checkin_prompt",
    [PROTO_OUT_CHECKIN_SCORE] = "checkin_score",
    [PROTO_OUT_ALERT] = "alert",
    [PROTO_OUT_CRISIS_RESOURCES] = "crisis_resources",
    [PROTO_OUT_DM] = "dm",
    [PROTO_OUT_UNREAD] = "unread",
    [PROTO_OUT_NOTIFICATION] = "notification",
    [PROTO_OUT_ERROR] = "error",
    [PROTO_OUT_PONG] = "pong",
    [PROTO_OUT_MODERATION] = "moderation",
};

const char *proto_out_type_name(enum proto_out_type t)
{
	if ((size_t)t >= sizeof(out_names) / sizeof(out_names[0]))
		return "";
	return out_names[t];
}

int proto__utf8_next(const unsigned char *s, size_t len, size_t *i, uint32_t *cp)
{
	size_t at = *i, need;
	uint32_t c = s[at], min;

	if (c < 0x80) {
		*cp = c;
		*i = at + 1;
		return 0;
	}
	/* Lead bytes C0, C1 and F5..FF can only start overlong or out-of-range
	 * sequences; the minimum below catches the remaining overlong forms. */
	if (c >= 0xc2 && c <= 0xdf) {
		need = 1;
		c &= 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 2;
		c &= 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3;
		c &= 0x07;
		min = 0x10000;
	} else {
		return -1;
	}
	if (len - at <= need)
		return -1;
	for (size_t k = 1; k <= need; k++) {
		unsigned char b = s[at + k];
		if ((b & 0xc0) != 0x80)
			return -1;
		c = (c << 6) | (b & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return -1;
	*cp = c;
	*i = at + need + 1;
	return 0;
}

int proto__utf8_valid(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;
	uint32_t cp;

	while (i < len)
		if (proto__utf8_next(u, len, &i, &cp) < 0)
			return 0;
	return 1;
}

/* Characters that may appear in a message: everything but the C0 controls
 * other than tab and newline, DEL, and the C1 controls. \r is refused so
 * that a line break has one spelling in transcripts and exports. */
static int is_control(uint32_t cp)
{
	if (cp < 0x20)
		return cp != '\t' && cp != '\n';
	return cp >= 0x7f && cp <= 0x9f;
}

/* White space and the characters that render as nothing, so that a message
 * which would show as a blank bubble counts as empty (PROTOCOL.md lists
 * them). */
static int is_blank(uint32_t cp)
{
	switch (cp) {
	case '\t':
	case '\n':
	case ' ':
	case 0x00a0: /* no-break space */
	case 0x115f: /* Hangul choseong filler */
	case 0x1160: /* Hangul jungseong filler */
	case 0x1680: /* Ogham space mark */
	case 0x180e: /* Mongolian vowel separator */
	case 0x2028: /* line separator */
	case 0x2029: /* paragraph separator */
	case 0x202f: /* narrow no-break space */
	case 0x205f: /* medium mathematical space */
	case 0x2060: /* word joiner */
	case 0x2800: /* Braille pattern blank */
	case 0x3000: /* ideographic space */
	case 0x3164: /* Hangul filler */
	case 0xfeff: /* zero width no-break space */
	case 0xffa0: /* halfwidth Hangul filler */
		return 1;
	default:
		/* en quad .. hair space, zero width space/non-joiner/joiner,
		 * left-to-right and right-to-left marks */
		return cp >= 0x2000 && cp <= 0x200f;
	}
}

int proto_check_text(const char *s, size_t len, size_t max_chars, size_t *chars)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, n = 0;
	int control = 0, blank = 1;
	uint32_t cp;

	if (!s && len)
		return PROTO_EINVAL;
	if (len == 0)
		return PROTO_ETEXT_EMPTY;
	/* One pass to the end even after a fault: invalid UTF-8 anywhere must
	 * win over a control character seen earlier. */
	while (i < len) {
		if (proto__utf8_next(u, len, &i, &cp) < 0)
			return PROTO_EBAD_JSON;
		n++;
		control |= is_control(cp);
		blank &= is_blank(cp);
	}
	if (n > max_chars)
		return PROTO_ETEXT_TOO_LONG;
	if (control)
		return PROTO_EBAD_TEXT;
	if (blank)
		return PROTO_ETEXT_EMPTY;
	if (chars)
		*chars = n;
	return PROTO_OK;
}

int proto_check_token(const char *s, size_t len, size_t max)
{
	if (!s || len == 0 || len > max)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return 0;
	}
	return 1;
}
