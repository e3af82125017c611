#include "parser/tokenizer.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- keywords ---------------------------------------------------------------------------- */

typedef struct keyword_entry {
    const char *upper;
    uint8_t len;
    uint8_t category;
} keyword_entry;

#define KWCAT_R KWCAT_RESERVED
#define KWCAT_T KWCAT_TYPE_FUNC
#define KWCAT_U KWCAT_UNRESERVED
#define KWCAT_N KWCAT_NO_BARE_ALIAS

/* Indexed by keyword - 1. */
static const keyword_entry keyword_table[KW_COUNT - 1] = {
#define KEYWORD_ENTRY(name, cat) {#name, (uint8_t)(sizeof #name - 1), KWCAT_##cat},
    KEYWORD_LIST(KEYWORD_ENTRY)
#undef KEYWORD_ENTRY
};

#define KEYWORD_MAX_LEN 12

static inline char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c + ('a' - 'A')) : c; }

/* Compares the lowercase candidate with an upper-case keyword spelling. */
static int keyword_compare(const char *lower, uint32_t len, const keyword_entry *e) {
    uint32_t n = len < e->len ? len : e->len;
    for (uint32_t i = 0; i < n; i++) {
        char k = ascii_lower(e->upper[i]);
        if (lower[i] != k) return (unsigned char)lower[i] < (unsigned char)k ? -1 : 1;
    }
    if (len == e->len) return 0;
    return len < e->len ? -1 : 1;
}

/* Keywords are found through an open-addressing hash table over their lowercase spelling, built
 * once (thread-safely) from keyword_table; a lookup usually costs one hash and one compare. */
#define KEYWORD_HASH_SIZE 512 /* power of two, about 4x the number of keywords */

static uint8_t keyword_hash_table[KEYWORD_HASH_SIZE]; /* keyword index + 1, 0 = empty */
static pthread_once_t keyword_hash_once = PTHREAD_ONCE_INIT;

static inline uint32_t keyword_hash(const char *lower, uint32_t len) {
    uint32_t h = 2166136261u;
    for (uint32_t i = 0; i < len; i++) h = (h ^ (uint8_t)lower[i]) * 16777619u;
    return h;
}

static void keyword_hash_build(void) {
    for (int k = 0; k < KW_COUNT - 1; k++) {
        const keyword_entry *e = &keyword_table[k];
        char lower[KEYWORD_MAX_LEN];
        for (uint32_t i = 0; i < e->len; i++) lower[i] = ascii_lower(e->upper[i]);
        uint32_t slot = keyword_hash(lower, e->len) & (KEYWORD_HASH_SIZE - 1);
        while (keyword_hash_table[slot]) slot = (slot + 1) & (KEYWORD_HASH_SIZE - 1);
        keyword_hash_table[slot] = (uint8_t)(k + 1);
    }
}

keyword keyword_lookup(const char *s, uint32_t len) {
    /* Keywords are 2 to 12 letters: most identifiers are rejected on length alone. */
    if (len < 2 || len > KEYWORD_MAX_LEN) return KW_NONE;
    char lower[KEYWORD_MAX_LEN];
    for (uint32_t i = 0; i < len; i++) {
        char c = ascii_lower(s[i]);
        if (!((c >= 'a' && c <= 'z') || c == '_')) return KW_NONE;
        lower[i] = c;
    }
    pthread_once(&keyword_hash_once, keyword_hash_build);
    uint32_t slot = keyword_hash(lower, len) & (KEYWORD_HASH_SIZE - 1);
    while (keyword_hash_table[slot]) {
        int k = keyword_hash_table[slot] - 1;
        if (keyword_compare(lower, len, &keyword_table[k]) == 0) return (keyword)(k + 1);
        slot = (slot + 1) & (KEYWORD_HASH_SIZE - 1);
    }
    return KW_NONE;
}

const char *keyword_name(keyword kw) {
    if (kw <= KW_NONE || kw >= KW_COUNT) return "";
    return keyword_table[kw - 1].upper;
}

keyword_category keyword_category_of(keyword kw) {
    if (kw <= KW_NONE || kw >= KW_COUNT) return KWCAT_NONE;
    return (keyword_category)keyword_table[kw - 1].category;
}

/* ---- errors -------------------------------------------------------------------------------- */

#define ERROR_WINDOW_BEFORE 60
#define ERROR_WINDOW_AFTER 60

static bool utf8_continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

static void append(char *buf, size_t cap, size_t *len, const char *s, size_t n) {
    if (*len + 1 >= cap) return;
    if (n > cap - 1 - *len) n = cap - 1 - *len;
    memcpy(buf + *len, s, n);
    *len += n;
    buf[*len] = '\0';
}

bool parser_error_at(error *err, const char *sql, uint32_t sql_len, uint32_t pos, const char *fmt, ...) {
    if (!err || err->type != EIDER_ERROR_NONE) return false;
    if (pos > sql_len) pos = sql_len;
    /* line number and line start */
    uint32_t line = 1, line_start = 0;
    for (uint32_t i = 0; i < pos; i++) {
        if (sql[i] == '\n') {
            line++;
            line_start = i + 1;
        }
    }
    uint32_t line_end = pos;
    while (line_end < sql_len && sql[line_end] != '\n' && sql[line_end] != '\r') line_end++;
    uint32_t column = 1;
    for (uint32_t i = line_start; i < pos; i++)
        if (!utf8_continuation((unsigned char)sql[i])) column++;

    /* the window of the line shown */
    uint32_t from = line_start, to = line_end;
    bool cut_before = false, cut_after = false;
    if (pos - line_start > ERROR_WINDOW_BEFORE) {
        from = pos - ERROR_WINDOW_BEFORE / 2;
        while (from > line_start && utf8_continuation((unsigned char)sql[from])) from--;
        cut_before = true;
    }
    if (to - pos > ERROR_WINDOW_AFTER) {
        to = pos + ERROR_WINDOW_AFTER;
        while (to > pos && utf8_continuation((unsigned char)sql[to])) to--;
        cut_after = true;
    }

    char body[ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);

    char text[ERROR_MESSAGE_MAX];
    size_t n = 0;
    text[0] = '\0';
    append(text, sizeof text, &n, body, strlen(body));
    char head[64];
    int hl = snprintf(head, sizeof head, " (line %u, column %u)\nLINE %u: ", line, column, line);
    append(text, sizeof text, &n, head, (size_t)hl);
    size_t prefix = (size_t)snprintf(head, sizeof head, "LINE %u: ", line);
    size_t caret_col = prefix;
    if (cut_before) {
        append(text, sizeof text, &n, "...", 3);
        caret_col += 3;
    }
    for (uint32_t i = from; i < to; i++) {
        char c = sql[i];
        if (c == '\t') c = ' ';
        append(text, sizeof text, &n, &c, 1);
        if (i < pos && !utf8_continuation((unsigned char)c)) caret_col++;
    }
    if (cut_after) append(text, sizeof text, &n, "...", 3);
    append(text, sizeof text, &n, "\n", 1);
    for (size_t i = 0; i < caret_col && n + 2 < sizeof text; i++) append(text, sizeof text, &n, " ", 1);
    append(text, sizeof text, &n, "^", 1);
    return error_set(err, EIDER_ERROR_PARSER, "%s", text);
}

bool parser_syntax_error(error *err, const char *sql, uint32_t sql_len, const token *tok) {
    if (tok->type == TOK_EOF) return parser_error_at(err, sql, sql_len, tok->start, "syntax error at end of input");
    uint32_t len = tok->len;
    const char *dots = "";
    if (len > 64) {
        len = 64;
        while (len > 0 && utf8_continuation((unsigned char)sql[tok->start + len])) len--;
        dots = "...";
    }
    return parser_error_at(err, sql, sql_len, tok->start, "syntax error at or near \"%.*s%s\"", (int)len,
                           sql + tok->start, dots);
}

/* ---- tokens --------------------------------------------------------------------------------- */

void tokenizer_init(tokenizer *t, const char *sql, uint32_t len, uint32_t pos) {
    t->sql = sql;
    t->len = len;
    t->pos = pos;
}

static inline bool is_ident_start(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}
static inline bool is_ident_char(unsigned char c) { return is_ident_start(c) || (c >= '0' && c <= '9') || c == '$'; }
static inline bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

/* Skips whitespace and comments; false on an unterminated block comment. */
static bool skip_space(tokenizer *t, error *err) {
    const char *s = t->sql;
    uint32_t p = t->pos, n = t->len;
    for (;;) {
        while (p < n && (s[p] == ' ' || s[p] == '\t' || s[p] == '\n' || s[p] == '\r' || s[p] == '\f' || s[p] == '\v'))
            p++;
        if (p + 1 < n && s[p] == '-' && s[p + 1] == '-') {
            while (p < n && s[p] != '\n') p++;
            continue;
        }
        if (p + 1 < n && s[p] == '/' && s[p + 1] == '*') {
            uint32_t start = p;
            uint32_t depth = 1;
            p += 2;
            while (p < n && depth > 0) {
                if (p + 1 < n && s[p] == '*' && s[p + 1] == '/') {
                    depth--;
                    p += 2;
                } else if (p + 1 < n && s[p] == '/' && s[p + 1] == '*') {
                    depth++;
                    p += 2;
                } else {
                    p++;
                }
            }
            if (depth > 0) {
                t->pos = n;
                return parser_error_at(err, s, n, start, "unterminated /* comment");
            }
            continue;
        }
        break;
    }
    t->pos = p;
    return true;
}

/* Scans a quoted run starting at the opening quote; doubled quotes stay inside. Returns the
 * offset after the closing quote, or 0 when unterminated. */
static uint32_t scan_quoted(const char *s, uint32_t n, uint32_t p, char q) {
    p++;
    for (;;) {
        const char *hit = p < n ? memchr(s + p, q, n - p) : NULL;
        if (!hit) return 0;
        p = (uint32_t)(hit - s) + 1;
        if (p < n && s[p] == q) {
            p++;
            continue;
        }
        return p;
    }
}

bool tokenizer_next(tokenizer *t, token *out, error *err) {
    if (!skip_space(t, err)) return false;
    const char *s = t->sql;
    uint32_t n = t->len, p = t->pos;
    out->kw = KW_NONE;
    out->start = p;
    if (p >= n) {
        out->type = TOK_EOF;
        out->len = 0;
        return true;
    }
    unsigned char c = (unsigned char)s[p];
    unsigned char c1 = p + 1 < n ? (unsigned char)s[p + 1] : 0;
    token_type type;
    uint32_t end = p + 1;

    if (is_ident_start(c)) {
        while (end < n && is_ident_char((unsigned char)s[end])) end++;
        type = TOK_IDENT;
        out->kw = keyword_lookup(s + p, end - p);
    } else if (is_digit(c) || (c == '.' && is_digit(c1))) {
        type = TOK_INTEGER;
        end = p;
        while (end < n && is_digit((unsigned char)s[end])) end++;
        if (end < n && s[end] == '.') {
            /* "1." is a decimal, but "1..x" is not ours to decide: keep it simple */
            type = TOK_DECIMAL;
            end++;
            while (end < n && is_digit((unsigned char)s[end])) end++;
        }
        if (end < n && (s[end] == 'e' || s[end] == 'E')) {
            uint32_t e = end + 1;
            if (e < n && (s[e] == '+' || s[e] == '-')) e++;
            if (e < n && is_digit((unsigned char)s[e])) {
                while (e < n && is_digit((unsigned char)s[e])) e++;
                end = e;
                type = TOK_FLOAT;
            }
        }
    } else if (c == '\'') {
        end = scan_quoted(s, n, p, '\'');
        if (!end) {
            t->pos = n;
            return parser_error_at(err, s, n, p, "unterminated quoted string");
        }
        type = TOK_STRING;
    } else if (c == '"') {
        end = scan_quoted(s, n, p, '"');
        if (!end) {
            t->pos = n;
            return parser_error_at(err, s, n, p, "unterminated quoted identifier");
        }
        if (end == p + 2) {
            t->pos = n;
            return parser_error_at(err, s, n, p, "zero-length delimited identifier");
        }
        type = TOK_QUOTED_IDENT;
    } else {
        switch (c) {
        case '(': type = TOK_LPAREN; break;
        case ')': type = TOK_RPAREN; break;
        case '[': type = TOK_LBRACKET; break;
        case ']': type = TOK_RBRACKET; break;
        case '{': type = TOK_LBRACE; break;
        case '}': type = TOK_RBRACE; break;
        case ',': type = TOK_COMMA; break;
        case ';': type = TOK_SEMICOLON; break;
        case '.': type = TOK_DOT; break;
        case '*': type = TOK_STAR; break;
        case '+': type = TOK_PLUS; break;
        case '-': type = TOK_MINUS; break;
        case '%': type = TOK_PERCENT; break;
        case '?': type = TOK_PARAM; break;
        case '/':
            type = TOK_SLASH;
            if (c1 == '/') type = TOK_SLASH_SLASH, end++;
            break;
        case ':':
            type = TOK_COLON;
            if (c1 == ':') type = TOK_DOUBLE_COLON, end++;
            else if (c1 == '=') type = TOK_COLON_EQ, end++;
            break;
        case '|':
            if (c1 != '|') goto bad;
            type = TOK_CONCAT;
            end++;
            break;
        case '=':
            type = TOK_EQ;
            if (c1 == '=') type = TOK_EQ_EQ, end++;
            else if (c1 == '>') type = TOK_ARROW, end++;
            break;
        case '!':
            if (c1 != '=') goto bad;
            type = TOK_NE;
            end++;
            break;
        case '<':
            type = TOK_LT;
            if (c1 == '=') type = TOK_LE, end++;
            else if (c1 == '>') type = TOK_NE, end++;
            break;
        case '>':
            type = TOK_GT;
            if (c1 == '=') type = TOK_GE, end++;
            break;
        case '$':
            if (!is_digit(c1)) goto bad;
            type = TOK_DOLLAR_PARAM;
            while (end < n && is_digit((unsigned char)s[end])) end++;
            break;
        default:
            goto bad;
        }
    }
    out->type = type;
    out->len = end - p;
    t->pos = end;
    return true;

bad:;
    /* a whole UTF-8 character for the message */
    uint32_t e = p + 1;
    while (e < n && utf8_continuation((unsigned char)s[e])) e++;
    token bad_tok = {TOK_IDENT, KW_NONE, p, e - p};
    t->pos = n;
    return parser_syntax_error(err, s, n, &bad_tok);
}
