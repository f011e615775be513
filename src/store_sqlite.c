/* store_sqlite.c: the state store in one SQLite file, the embedded default.
 *
 * Many threads share one connection behind a mutex: SQLite serialises writers anyway, so a
 * connection per thread would only turn a mutex wait into busy-timeout polling, and one
 * handle is one thing to reopen when the file goes away. Many processes share the file
 * through WAL, a busy timeout and short transactions (BEGIN IMMEDIATE where a read decides
 * a write). The file is created mode 0600 whatever the umask; a deleted or replaced file is
 * noticed before each call and created again, so service goes on. It must not create the
 * directory: a missing one is a configuration error, said so. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sqlite3.h>
#include "store_backend.h"
#include "error.h"

/* How long a call waits for another process's transaction before it fails. */
#define SQLITE_BUSY_MS 5000
/* The schema this file writes; a file with a higher one is from a newer mail2sms. */
#define SCHEMA_VERSION 6
/* The page size of a new file. Each page a commit changes goes to the WAL and back into the
 * file whole, and a job changes some five across its two commits: at 2 KiB instead of
 * SQLite's 4 KiB a job writes about half as many bytes, on the disk the MTA fsyncs its
 * queue files to; a record (a few hundred bytes) still fits a page several times over. */
#define SQ_PAGE_SIZE 2048
/* WAL pages past which a commit is followed by a checkpoint: 8 MiB of WAL. A checkpoint that
 * commits overtook is tried again at the next commit until it catches up (only then can the
 * WAL start over), and every try fsyncs twice: at SQLite's default of 1000 pages a busy
 * milter made some seven fsyncs per 1000 pages. */
#define SQ_CHECKPOINT_PAGES 4096

typedef struct {
	GMutex lock;
	char *path;
	gint64 keep;
	sqlite3 *db;
	GHashTable *stmts; /* SQL text -> its statement on db, prepared once per connection */
	dev_t dev; /* the file db has open, to notice when the path no longer names it */
	ino_t ino;
	gint wal_pages; /* pages in the WAL after the last commit (atomic) */
	gint64 clean_at; /* the second a prune left nothing old behind (guarded by lock) */
	GMutex ckpt_lock; /* held by the one thread that checkpoints */
	sqlite3 *ckpt;    /* the checkpoint's own connection, and the file it has open */
	dev_t ckpt_dev;
	ino_t ckpt_ino;
} Sq;

/* The records' columns. Schema 6: a record's rowid follows its last change (touched), each
 * write that changes touched moving it past every other, so that the oldest are the first
 * rowids and no index on touched is kept; a record's job ids are found through its ids, so
 * that none on jobs(tag) either. The two indexes were two of the seven pages a job wrote. */
#define TAGS_COLUMNS \
	" (tag TEXT PRIMARY KEY, state INTEGER NOT NULL, claimed_at INTEGER NOT NULL," \
	" doubt_since INTEGER NOT NULL DEFAULT 0, ids TEXT, credits REAL, receivers TEXT," \
	" queue_id TEXT, sender TEXT, message_id TEXT, subject TEXT, sent_at INTEGER," \
	" touched INTEGER NOT NULL)"
/* The STORE_PRUNE_PER_WRITE (?2) least recently changed records, with COLS. */
#define SQ_OLDEST(cols) "(SELECT " cols " FROM tags ORDER BY rowid LIMIT ?2)"
/* The rowid that puts a record after every other. */
#define SQ_LAST_ROWID "(SELECT max(rowid) FROM tags) + 1"
/* A record's job ids ("1,2,3", NULL before it is sent) as rows of json_each's value; none
 * for ids that are not such a list, which would otherwise fail every write that prunes. */
#define SQ_IDS_OF(t) \
	"json_each(CASE WHEN json_valid('[' || " t ".ids || ']') THEN '[' || " t ".ids || ']'" \
	" ELSE '[]' END)"

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS tags" TAGS_COLUMNS ";"
	"CREATE TABLE IF NOT EXISTS jobs (id INTEGER PRIMARY KEY, tag TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS vals (name TEXT PRIMARY KEY, value INTEGER NOT NULL,"
	" at INTEGER NOT NULL);"
	/* Schema 2: which job of a mail holds each of its numbers (store_numbers_claim). */
	"CREATE TABLE IF NOT EXISTS numbers (mail TEXT NOT NULL, number TEXT NOT NULL,"
	" tag TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (mail, number));"
	"CREATE INDEX IF NOT EXISTS numbers_at ON numbers(at);"
	/* Schema 3: flood control. A window's events, one row each (a rowid apart when two
	 * share a millisecond), with the time it leaves its window; held alerts, in a digest
	 * once one takes them; values pruned as the rest is, so by their time. Schema 4: each
	 * window event also keeps its key as text (name; the key column holds it hashed), so
	 * that windows can be listed by the start of their key. A file of schema 3 gets the
	 * column from sq_window_names, and its events have none (NULL). */
	"CREATE TABLE IF NOT EXISTS windows (key TEXT NOT NULL, at INTEGER NOT NULL,"
	" expires INTEGER NOT NULL, name TEXT);"
	"CREATE INDEX IF NOT EXISTS windows_key ON windows(key, at);"
	"CREATE INDEX IF NOT EXISTS windows_expires ON windows(expires);"
	"CREATE TABLE IF NOT EXISTS held (id INTEGER PRIMARY KEY, queue TEXT NOT NULL,"
	" at INTEGER NOT NULL, summary TEXT NOT NULL, digest TEXT, taken INTEGER);"
	"CREATE INDEX IF NOT EXISTS held_queue ON held(queue, digest, at);"
	"CREATE INDEX IF NOT EXISTS held_digest ON held(digest) WHERE digest IS NOT NULL;"
	"CREATE INDEX IF NOT EXISTS held_at ON held(at);"
	"CREATE INDEX IF NOT EXISTS vals_at ON vals(at);"
	/* Schema 5: short texts (store_set_text), pruned by their time as values are. */
	"CREATE TABLE IF NOT EXISTS texts (name TEXT PRIMARY KEY, text TEXT NOT NULL,"
	" at INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS texts_at ON texts(at);";

/* An M2S_ERR_IO saying WHAT failed and SQLite's reason. */
static void sq_error(Sq *q, GError **err, const char *what)
{
	g_set_error(err, M2S_ERROR, M2S_ERR_IO, "%s: %s", what,
	            q->db != NULL ? sqlite3_errmsg(q->db) : "no database");
}

/* Runs SQL (no result rows). */
static gboolean sq_exec(Sq *q, const char *sql, GError **err)
{
	if (sqlite3_exec(q->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		sq_error(q, err, sql);
		return FALSE;
	}
	return TRUE;
}

/* A cached statement's end (the cache's value destructor). */
static void sq_finalize(gpointer st)
{
	sqlite3_finalize(st);
}

/* ST is ready for its next use (reset, its parameters unbound). */
static void sq_done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* Counts the WAL's pages after each commit. Installing it turns SQLite's own checkpoint
 * off: that one runs inside the commit, with the store's lock held, and its fsyncs (up to
 * a tenth of a second) stopped every thread's SMS for that long. sq_checkpoint does it
 * after the lock is given back. */
static int sq_wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	(void)db;
	(void)name;
	g_atomic_int_set(&((Sq *)arg)->wal_pages, pages);
	return SQLITE_OK;
}

/* Closes the checkpoint's connection; called with ckpt_lock held. It neither checkpoints
 * nor deletes the WAL on close: the file it has open may no longer be the one at the path. */
static void sq_ckpt_close(Sq *q)
{
	if (q->ckpt != NULL)
		sqlite3_close_v2(q->ckpt);
	q->ckpt = NULL;
}

/* Copies the WAL into the file once it has grown past SQ_CHECKPOINT_PAGES, through a
 * connection of its own and without the store's lock: the fsyncs delay only the caller,
 * and writers go on meanwhile (PASSIVE). One thread at a time; the others skip it. */
static void sq_checkpoint(Sq *q)
{
	struct stat st;
	int on = 1;

	if (g_atomic_int_get(&q->wal_pages) < SQ_CHECKPOINT_PAGES || !g_mutex_trylock(&q->ckpt_lock))
		return;
	if (stat(q->path, &st) != 0) {
		sq_ckpt_close(q);
		g_mutex_unlock(&q->ckpt_lock);
		return;
	}
	if (q->ckpt != NULL && (st.st_dev != q->ckpt_dev || st.st_ino != q->ckpt_ino))
		sq_ckpt_close(q);
	if (q->ckpt == NULL) {
		if (sqlite3_open_v2(q->path, &q->ckpt, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
		                    NULL) != SQLITE_OK) {
			sq_ckpt_close(q);
			g_mutex_unlock(&q->ckpt_lock);
			return;
		}
		sqlite3_db_config(q->ckpt, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
		sqlite3_file_control(q->ckpt, "main", SQLITE_FCNTL_PERSIST_WAL, &on);
		/* A connection finds the WAL when it first reads; until then a checkpoint
		 * through it does nothing and says so only by its frame counts. */
		sqlite3_exec(q->ckpt, "SELECT 1 FROM sqlite_master LIMIT 1", NULL, NULL, NULL);
		q->ckpt_dev = st.st_dev;
		q->ckpt_ino = st.st_ino;
	}
	/* Busy (another process checkpoints, a reader lags): the next commit tries again. */
	if (sqlite3_wal_checkpoint_v2(q->ckpt, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL) ==
	    SQLITE_OK)
		g_atomic_int_set(&q->wal_pages, 0);
	g_mutex_unlock(&q->ckpt_lock);
}

/* Closes the connection. GONE: the path names another file now (or none). Then the WAL at
 * the path is emptied through this connection's own descriptor (were it left full, SQLite
 * would replay the old file's pages into whatever file the path names next), and closing
 * must not delete the -wal and -shm files by path, which may be the new file's by now. */
static void sq_disconnect(Sq *q, gboolean gone)
{
	int persist = 1;

	if (q->db == NULL)
		return;
	if (gone) {
		sqlite3_busy_timeout(q->db, 0);
		sqlite3_exec(q->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
		sqlite3_file_control(q->db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
	}
	g_clear_pointer(&q->stmts, g_hash_table_destroy);
	sqlite3_close_v2(q->db);
	q->db = NULL;
}

/* Creates the file mode 0600 when missing (removing a WAL left by a deleted predecessor,
 * which SQLite would otherwise replay into the new file); a missing directory is an error. */
static gboolean sq_create(Sq *q, GError **err)
{
	int fd = open(q->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0 && errno == EEXIST)
		return TRUE;
	if (fd < 0) {
		int e = errno;
		g_autofree char *dir = g_path_get_dirname(q->path);
		if (e == ENOENT)
			g_set_error(err, M2S_ERROR, M2S_ERR_IO, "directory %s does not exist", dir);
		else
			g_set_error(err, M2S_ERROR, M2S_ERR_IO, "cannot create %s: %s", q->path,
			            g_strerror(e));
		return FALSE;
	}
	/* The umask may have taken bits away from 0600 (0400): set exactly 0600. Root (a
	 * check by hand, `mail2sms send`) creates it for the owner of its directory, the user
	 * that runs mail2sms: a file root kept would lock that user out. SQLite gives its -wal
	 * and -shm files the owner of the database file when it runs as root. */
	int rc = fchmod(fd, 0600);
	int e = errno;
	struct stat dst;
	g_autofree char *dir = g_path_get_dirname(q->path);
	if (rc == 0 && geteuid() == 0 && stat(dir, &dst) == 0 && dst.st_uid != 0 &&
	    fchown(fd, dst.st_uid, dst.st_gid) != 0) {
		rc = -1;
		e = errno;
	}
	close(fd);
	if (rc != 0) {
		g_set_error(err, M2S_ERROR, M2S_ERR_IO, "cannot give %s mode 0600 and the owner of "
		            "its directory: %s", q->path, g_strerror(e));
		return FALSE;
	}
	for (const char *const *sfx = (const char *const[]){ "-wal", "-shm", "-journal", NULL };
	     *sfx != NULL; sfx++) {
		g_autofree char *p = g_strconcat(q->path, *sfx, NULL);
		unlink(p);
	}
	return TRUE;
}

/* Whether SQL (a query) has a row: *FOUND; FALSE with *ERR when it could not be read. */
static gboolean sq_exists(Sq *q, const char *sql, gboolean *found, GError **err)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(q->db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	sqlite3_finalize(st);
	*found = rc == SQLITE_ROW;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		sq_error(q, err, sql);
		return FALSE;
	}
	return TRUE;
}

/* Adds schema 4's column to a windows table of schema 3, inside the upgrade's transaction:
 * checked there, since another process may have upgraded the file after we read its
 * version (ALTER TABLE is no IF NOT EXISTS). */
static gboolean sq_window_names(Sq *q, GError **err)
{
	gboolean found;

	if (!sq_exists(q, "SELECT 1 FROM pragma_table_info('windows') WHERE name = 'name'",
	               &found, err))
		return FALSE;
	return found || sq_exec(q, "ALTER TABLE windows ADD COLUMN name TEXT", err);
}

/* Brings the records of a file of schema 5 or older to schema 6, inside the upgrade's
 * transaction (checked there, as sq_window_names is): the table is copied in the order of
 * touched, so that rowids follow it from the start, and the two indexes go. Job ids left by
 * records forgotten before schema 5's fix go too: nothing would find them any more. */
static gboolean sq_tags_in_order(Sq *q, GError **err)
{
	gboolean found;

	if (!sq_exists(q, "SELECT 1 FROM sqlite_master WHERE type = 'index'"
	                  " AND name = 'tags_touched'", &found, err))
		return FALSE;
	return !found ||
	       sq_exec(q, "DELETE FROM jobs WHERE tag NOT IN (SELECT tag FROM tags);"
	                  " CREATE TABLE tags_6" TAGS_COLUMNS ";"
	                  " INSERT INTO tags_6 SELECT tag, state, claimed_at, doubt_since, ids,"
	                  " credits, receivers, queue_id, sender, message_id, subject, sent_at,"
	                  " touched FROM tags ORDER BY touched, tag;"
	                  " DROP TABLE tags; ALTER TABLE tags_6 RENAME TO tags;"
	                  " DROP INDEX IF EXISTS jobs_tag;", err);
}

/* Opens (creating when missing) the file and its schema. */
static gboolean sq_connect(Sq *q, GError **err)
{
	struct stat st;

	if (!sq_create(q, err))
		return FALSE;
	int rc = sqlite3_open_v2(q->path, &q->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		g_set_error(err, M2S_ERROR, M2S_ERR_IO, "open %s: %s", q->path,
		            q->db != NULL ? sqlite3_errmsg(q->db) : sqlite3_errstr(rc));
		sq_disconnect(q, FALSE);
		return FALSE;
	}
	sqlite3_busy_timeout(q->db, SQLITE_BUSY_MS);
	sqlite3_extended_result_codes(q->db, 1);
	q->stmts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, sq_finalize);
	/* The last process to close the file still copies the WAL back into it (SQLite's
	 * default): a stopped mail2sms leaves one self-contained file, which an operator may
	 * copy or restore alone. */
	sqlite3_wal_hook(q->db, sq_wal_hook, q);
	/* WAL with NORMAL: a commit survives a crash of any process, and the file is never
	 * corrupted; only a power cut may lose the last commits. FULL would fsync twice per job
	 * and cost about a tenth of the SMS throughput (make bench) for a case that needs a
	 * power cut and a retry of a mail already answered (mail2sms.conf(5)). Pages of 2 KiB
	 * (SQ_PAGE_SIZE) in a new file; an existing one keeps its own. */
	if (!sq_exec(q, "PRAGMA page_size=" G_STRINGIFY(SQ_PAGE_SIZE) "; PRAGMA journal_mode=WAL;"
	                " PRAGMA synchronous=NORMAL;", err))
		goto fail;
	sqlite3_stmt *st_v = NULL;
	int version = 0;
	if (sqlite3_prepare_v2(q->db, "PRAGMA user_version", -1, &st_v, NULL) == SQLITE_OK &&
	    sqlite3_step(st_v) == SQLITE_ROW)
		version = sqlite3_column_int(st_v, 0);
	sqlite3_finalize(st_v);
	if (version > SCHEMA_VERSION) {
		g_set_error(err, M2S_ERROR, M2S_ERR_IO, "%s has schema %d, newer than this mail2sms (%d)",
		            q->path, version, SCHEMA_VERSION);
		goto fail;
	}
	if (version < SCHEMA_VERSION) {
		g_autofree char *sql = g_strdup_printf("BEGIN IMMEDIATE; %s PRAGMA user_version=%d;",
		                                       schema, SCHEMA_VERSION);
		if (!sq_exec(q, sql, err) || !sq_window_names(q, err) || !sq_tags_in_order(q, err) ||
		    !sq_exec(q, "COMMIT", err)) {
			sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
			goto fail;
		}
	}
	if (stat(q->path, &st) != 0) {
		g_set_error(err, M2S_ERROR, M2S_ERR_IO, "stat %s: %s", q->path, g_strerror(errno));
		goto fail;
	}
	q->dev = st.st_dev;
	q->ino = st.st_ino;
	return TRUE;
fail:
	sq_disconnect(q, FALSE);
	return FALSE;
}

/* A connection to the file the path names now: opened again when the file was deleted or
 * replaced since (or the last open failed). Called with the lock held. */
static gboolean sq_ready(Sq *q, GError **err)
{
	struct stat st;

	if (q->db != NULL && stat(q->path, &st) == 0 && st.st_dev == q->dev && st.st_ino == q->ino)
		return TRUE;
	sq_disconnect(q, TRUE);
	return sq_connect(q, err);
}

/* A store on the file SPEC names, created when missing; the password is Redis's only. */
static void *sq_open(const StoreSpec *spec, const char *password, gint64 keep, GError **err)
{
	(void)password;
	Sq *q = g_new0(Sq, 1);

	g_mutex_init(&q->lock);
	g_mutex_init(&q->ckpt_lock);
	q->path = g_strdup(spec->path);
	q->keep = keep;
	q->clean_at = G_MININT64;
	if (!sq_connect(q, err)) {
		g_mutex_clear(&q->lock);
		g_mutex_clear(&q->ckpt_lock);
		g_free(q->path);
		g_free(q);
		return NULL;
	}
	return q;
}

/* Closes the connection, keeping the WAL at the path when the file there is another now. */
static void sq_close(void *b)
{
	Sq *q = b;
	struct stat st;

	sq_ckpt_close(q);
	sq_disconnect(q, stat(q->path, &st) != 0 || st.st_dev != q->dev || st.st_ino != q->ino);
	g_mutex_clear(&q->lock);
	g_mutex_clear(&q->ckpt_lock);
	g_free(q->path);
	g_free(q);
}

/* The statement for SQL, or NULL with *ERR. Statements are kept for the connection's life:
 * parsing SQL again for each call cost more CPU than the writes themselves. Give it back
 * with sq_done. */
static sqlite3_stmt *sq_prepare(Sq *q, const char *sql, GError **err)
{
	sqlite3_stmt *st = g_hash_table_lookup(q->stmts, sql);

	if (st != NULL)
		return st;
	if (sqlite3_prepare_v3(q->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
		sq_error(q, err, "prepare");
		sqlite3_finalize(st);
		return NULL;
	}
	g_hash_table_insert(q->stmts, g_strdup(sql), st);
	return st;
}

/* Steps ST to its end (a write); gives it back. */
static gboolean sq_run(Sq *q, sqlite3_stmt *st, const char *what, GError **err)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		sq_error(q, err, what);
		sq_done(st);
		return FALSE;
	}
	sq_done(st);
	return TRUE;
}

/* Runs SQL, a statement with no parameter and no row (BEGIN, COMMIT), from the cache. */
static gboolean sq_exec1(Sq *q, const char *sql, GError **err)
{
	sqlite3_stmt *st = sq_prepare(q, sql, err);
	return st != NULL && sq_run(q, st, sql, err);
}

/* A job record last changed this long after NOW was written under a clock that has since
 * been set back (an RTC read as local time until NTP came, say). */
#define SQ_FUTURE_S 60

/* Moves the records among the first rowids that were last changed after NOW (more than
 * SQ_FUTURE_S ahead) to the end, as changed NOW, at most STORE_PRUNE_PER_WRITE of them:
 * held at the head, they would stop pruning until the clock caught up with them, however
 * far ahead it had been. *MOVED: whether one was. */
static gboolean sq_prune_future(Sq *q, gint64 now, gboolean *moved, GError **err)
{
	sqlite3_stmt *st = sq_prepare(q, "UPDATE tags SET touched = ?3, rowid = " SQ_LAST_ROWID
	                                 " WHERE rowid = (SELECT rowid FROM "
	                                 SQ_OLDEST("rowid, touched") " WHERE touched > ?1 LIMIT 1)",
	                              err);
	*moved = FALSE;
	if (st == NULL)
		return FALSE;
	for (int i = 0; i < STORE_PRUNE_PER_WRITE; i++) {
		sqlite3_bind_int64(st, 1, now + SQ_FUTURE_S);
		sqlite3_bind_int(st, 2, STORE_PRUNE_PER_WRITE);
		sqlite3_bind_int64(st, 3, now);
		if (!sq_run(q, st, "prune", err))
			return FALSE;
		if (sqlite3_changes(q->db) == 0)
			break;
		*moved = TRUE;
	}
	return TRUE;
}

/* Removes at most STORE_PRUNE_PER_WRITE records of each kind written before NOW - keep,
 * oldest first, with their job ids, and as many window events out of their window at NOW
 * (?3, in milliseconds): bounded work inside the write that pays for it. Job records are
 * taken among the first rowids, the least recently changed (a clock set back may leave an
 * old one behind a younger one for that long); the first two statements pick the same
 * records (the first changes no tag), then sq_prune_future clears the way for the next
 * write. Once a pass found fewer than that of every kind (and nothing in the future),
 * nothing more is old until the next second: the writes of that second skip the seven
 * statements, which cost as much as the write that pays for them when there is nothing to
 * remove. */
static gboolean sq_prune(Sq *q, gint64 now, GError **err)
{
	gboolean clean = TRUE;

	if (now == q->clean_at)
		return TRUE;
	static const char *const sql[] = {
		"DELETE FROM jobs WHERE id IN (SELECT j.value FROM " SQ_OLDEST("tag, ids, touched")
		" t, " SQ_IDS_OF("t") " j WHERE t.touched < ?1) AND tag IN (SELECT tag FROM "
		SQ_OLDEST("tag, touched") " WHERE touched < ?1)",
		"DELETE FROM tags WHERE rowid IN (SELECT rowid FROM " SQ_OLDEST("rowid, touched")
		" WHERE touched < ?1)",
		"DELETE FROM numbers WHERE rowid IN (SELECT rowid FROM numbers WHERE at < ?1"
		" ORDER BY at LIMIT ?2)",
		"DELETE FROM vals WHERE name IN (SELECT name FROM vals WHERE at < ?1"
		" ORDER BY at LIMIT ?2)",
		"DELETE FROM texts WHERE name IN (SELECT name FROM texts WHERE at < ?1"
		" ORDER BY at LIMIT ?2)",
		"DELETE FROM held WHERE id IN (SELECT id FROM held WHERE at < ?1"
		" ORDER BY at LIMIT ?2)",
		"DELETE FROM windows WHERE rowid IN (SELECT rowid FROM windows WHERE expires <= ?3"
		" ORDER BY expires LIMIT ?2)",
	};
	for (guint i = 0; i < G_N_ELEMENTS(sql); i++) {
		sqlite3_stmt *st = sq_prepare(q, sql[i], err);
		if (st == NULL)
			return FALSE;
		/* A parameter a statement does not name is refused (SQLITE_RANGE), harmlessly. */
		sqlite3_bind_int64(st, 1, now - q->keep);
		sqlite3_bind_int(st, 2, STORE_PRUNE_PER_WRITE);
		sqlite3_bind_int64(st, 3, now * 1000);
		if (!sq_run(q, st, "prune", err))
			return FALSE;
		clean = clean && sqlite3_changes(q->db) < STORE_PRUNE_PER_WRITE;
	}
	gboolean moved;
	if (!sq_prune_future(q, now, &moved, err))
		return FALSE;
	q->clean_at = clean && !moved ? now : G_MININT64;
	return TRUE;
}

/* Ends the transaction: COMMIT when OK, else ROLLBACK (keeping the first error). */
static gboolean sq_end(Sq *q, gboolean ok, GError **err)
{
	if (ok && sq_exec1(q, "COMMIT", err))
		return TRUE;
	sq_exec1(q, "ROLLBACK", NULL);
	return FALSE;
}

/* A column's text, newly allocated, NULL when the column is NULL. */
static char *col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t != NULL ? g_strdup((const char *)t) : NULL;
}

/* The claim's decision inside its transaction (see StoreClaim). */
static StoreClaim sq_claim_tx(Sq *q, const char *tag, gint64 now, gint64 timeout,
                              StoreRecord *rec, GError **err)
{
	sqlite3_stmt *st = sq_prepare(q, "SELECT state, claimed_at, doubt_since, ids, credits,"
	                                 " receivers FROM tags WHERE tag = ?1", err);
	if (st == NULL)
		return CLAIM_ERROR;
	sqlite3_bind_text(st, 1, tag, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sq_done(st);
		st = sq_prepare(q, "INSERT INTO tags (tag, state, claimed_at, doubt_since, touched)"
		                   " VALUES (?1, ?2, ?3, 0, ?3)", err);
		if (st == NULL)
			return CLAIM_ERROR;
		sqlite3_bind_text(st, 1, tag, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(st, 2, STORE_CLAIMED);
		sqlite3_bind_int64(st, 3, now);
		if (!sq_run(q, st, "claim", err) || !sq_prune(q, now, err))
			return CLAIM_ERROR;
		rec->state = STORE_CLAIMED;
		rec->claimed_at = now;
		return CLAIM_WON;
	}
	if (rc != SQLITE_ROW) {
		sq_error(q, err, "read the claim");
		sq_done(st);
		return CLAIM_ERROR;
	}
	rec->state = sqlite3_column_int(st, 0);
	rec->claimed_at = sqlite3_column_int64(st, 1);
	rec->doubt_since = sqlite3_column_int64(st, 2);
	rec->ids = col_text(st, 3);
	rec->credits = sqlite3_column_double(st, 4);
	rec->receivers = col_text(st, 5);
	sq_done(st);
	if (rec->state == STORE_SENT)
		return CLAIM_SENT;
	if (rec->state == STORE_CLAIMED && now - rec->claimed_at < timeout)
		return CLAIM_BUSY;
	/* Taken over: an expired claim's attempt began at its claimed_at; a record in doubt
	 * keeps the time it was marked. */
	if (rec->doubt_since == 0)
		rec->doubt_since = rec->claimed_at;
	rec->state = STORE_CLAIMED;
	rec->claimed_at = now;
	st = sq_prepare(q, "UPDATE tags SET state = ?2, claimed_at = ?3, doubt_since = ?4,"
	                   " touched = ?3, rowid = " SQ_LAST_ROWID " WHERE tag = ?1", err);
	if (st == NULL)
		return CLAIM_ERROR;
	sqlite3_bind_text(st, 1, tag, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 2, STORE_CLAIMED);
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_int64(st, 4, rec->doubt_since);
	if (!sq_run(q, st, "take the claim over", err))
		return CLAIM_ERROR;
	return CLAIM_IN_DOUBT;
}

/* Starts a write transaction on a connection to the current file; takes the lock, which
 * sq_finish gives back. */
static gboolean sq_begin(Sq *q, GError **err)
{
	g_mutex_lock(&q->lock);
	if (sq_ready(q, err) && sq_exec1(q, "BEGIN IMMEDIATE", err))
		return TRUE;
	g_mutex_unlock(&q->lock);
	return FALSE;
}

static gboolean sq_finish(Sq *q, gboolean ok, GError **err)
{
	ok = sq_end(q, ok, err);
	g_mutex_unlock(&q->lock);
	sq_checkpoint(q);
	return ok;
}

/* The claim in one BEGIN IMMEDIATE transaction: no other process writes between its
 * read and its write. */
static StoreClaim sq_claim(void *b, const char *tag, gint64 now, gint64 timeout,
                           StoreRecord *rec, GError **err)
{
	Sq *q = b;

	if (!sq_begin(q, err))
		return CLAIM_ERROR;
	StoreClaim c = sq_claim_tx(q, tag, now, timeout, rec, err);
	if (!sq_finish(q, c != CLAIM_ERROR, err)) {
		g_clear_pointer(&rec->ids, g_free);
		g_clear_pointer(&rec->receivers, g_free);
		return CLAIM_ERROR;
	}
	return c;
}

/* Binds the outcome S of TAG at NOW as ?1 to ?10 of ST. */
static void sq_bind_sent(sqlite3_stmt *st, const char *tag, gint64 now, const StoreSent *s)
{
	sqlite3_bind_text(st, 1, tag, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 2, STORE_SENT);
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_text(st, 4, s->ids, -1, SQLITE_TRANSIENT);
	sqlite3_bind_double(st, 5, s->credits);
	sqlite3_bind_text(st, 6, s->receivers, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 7, s->mail.queue_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 8, s->mail.sender, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 9, s->mail.message_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 10, s->mail.subject, -1, SQLITE_TRANSIENT);
}

/* The outcome as a new record, or over one not touched at NOW. */
static gboolean sq_upsert_sent(Sq *q, const char *tag, gint64 now, const StoreSent *s,
                               GError **err)
{
	sqlite3_stmt *st = sq_prepare(q,
		"INSERT INTO tags (tag, state, claimed_at, doubt_since, ids, credits, receivers,"
		" queue_id, sender, message_id, subject, sent_at, touched)"
		" VALUES (?1, ?2, ?3, 0, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?3, ?3)"
		" ON CONFLICT(tag) DO UPDATE SET state = ?2, ids = ?4, credits = ?5, receivers = ?6,"
		" queue_id = ?7, sender = ?8, message_id = ?9, subject = ?10, sent_at = ?3,"
		" touched = ?3, rowid = " SQ_LAST_ROWID, err);
	if (st == NULL)
		return FALSE;
	sq_bind_sent(st, tag, now, s);
	return sq_run(q, st, "record the job sent", err);
}

/* Indexes each job id of S under TAG, then prunes. */
static gboolean sq_jobs_tx(Sq *q, const char *tag, gint64 now, const StoreSent *s, GError **err)
{
	for (guint i = 0; i < s->n_job_ids; i++) {
		sqlite3_stmt *st = sq_prepare(q, "INSERT OR REPLACE INTO jobs (id, tag) VALUES (?1, ?2)",
		                              err);
		if (st == NULL)
			return FALSE;
		sqlite3_bind_int64(st, 1, s->job_ids[i]);
		sqlite3_bind_text(st, 2, tag, -1, SQLITE_TRANSIENT);
		if (!sq_run(q, st, "index the job id", err))
			return FALSE;
	}
	return sq_prune(q, now, err);
}

/* Records the outcome and indexes each job id, inside the caller's transaction. A record
 * claimed in the same second (most are: OVH answers within it) is updated where it is: it
 * holds touched already, and moving it past the others would change a page more. */
static gboolean sq_sent_tx(Sq *q, const char *tag, gint64 now, const StoreSent *s, GError **err)
{
	sqlite3_stmt *st = sq_prepare(q,
		"UPDATE tags SET state = ?2, ids = ?4, credits = ?5, receivers = ?6, queue_id = ?7,"
		" sender = ?8, message_id = ?9, subject = ?10, sent_at = ?3"
		" WHERE tag = ?1 AND touched = ?3", err);
	if (st == NULL)
		return FALSE;
	sq_bind_sent(st, tag, now, s);
	if (!sq_run(q, st, "record the job sent", err))
		return FALSE;
	if (sqlite3_changes(q->db) == 0 && !sq_upsert_sent(q, tag, now, s, err))
		return FALSE;
	return sq_jobs_tx(q, tag, now, s, err);
}

/* The outcome in one transaction. */
static gboolean sq_sent(void *b, const char *tag, gint64 now, const StoreSent *s, GError **err)
{
	Sq *q = b;

	if (!sq_begin(q, err))
		return FALSE;
	return sq_finish(q, sq_sent_tx(q, tag, now, s, err), err);
}

/* The statements SQLS (NULL-terminated) in one transaction, each with TAG as ?1 and A, B
 * as ?2, ?3 (a parameter a statement does not name is refused, harmlessly). */
static gboolean sq_writes(Sq *q, const char *const *sqls, const char *what, const char *tag,
                          gint64 a, gint64 b, GError **err)
{
	gboolean ok = TRUE;

	if (!sq_begin(q, err))
		return FALSE;
	for (const char *const *sql = sqls; ok && *sql != NULL; sql++) {
		sqlite3_stmt *st = sq_prepare(q, *sql, err);
		ok = st != NULL;
		if (ok) {
			sqlite3_bind_text(st, 1, tag, -1, SQLITE_TRANSIENT);
			sqlite3_bind_int64(st, 2, a);
			sqlite3_bind_int64(st, 3, b);
			ok = sq_run(q, st, what, err);
		}
	}
	return sq_finish(q, ok, err);
}

/* One statement in its own transaction, with TAG as ?1 and A, B as ?2, ?3. */
static gboolean sq_write1(Sq *q, const char *sql, const char *what, const char *tag, gint64 a,
                          gint64 b, GError **err)
{
	return sq_writes(q, (const char *const[]){ sql, NULL }, what, tag, a, b, err);
}

/* Marks TAG in doubt since the earlier of its doubt and NOW (see store_doubt). */
static gboolean sq_doubt(void *b, const char *tag, gint64 now, GError **err)
{
	/* ?2 now, ?3 the state in doubt; a sent record is left alone; none is created in
	 * doubt (its claim was pruned or released by a stale caller: the doubt is what counts). */
	g_autofree char *sql = g_strdup_printf(
		"INSERT INTO tags (tag, state, claimed_at, doubt_since, touched)"
		" VALUES (?1, ?3, ?2, ?2, ?2)"
		" ON CONFLICT(tag) DO UPDATE SET state = ?3, touched = ?2, rowid = " SQ_LAST_ROWID ","
		" doubt_since = CASE WHEN doubt_since > 0 AND doubt_since < ?2 THEN doubt_since"
		" ELSE ?2 END WHERE state <> %d", STORE_SENT);
	return sq_write1(b, sql, "mark in doubt", tag, now, STORE_IN_DOUBT, err);
}

/* Gives up the claim made at CLAIMED_AT (see store_release): deleted without doubt,
 * back in doubt with it. */
static gboolean sq_release(void *b, const char *tag, gint64 claimed_at, GError **err)
{
	Sq *q = b;
	g_autofree char *del = g_strdup_printf("DELETE FROM tags WHERE tag = ?1 AND state = %d"
	                                       " AND claimed_at = ?2 AND doubt_since = ?3",
	                                       STORE_CLAIMED);
	g_autofree char *back = g_strdup_printf("UPDATE tags SET state = %d WHERE tag = ?1"
	                                        " AND state = %d AND claimed_at = ?2"
	                                        " AND doubt_since <> ?3",
	                                        STORE_IN_DOUBT, STORE_CLAIMED);

	return sq_writes(q, (const char *const[]){ del, back, NULL }, "release the claim", tag,
	                 claimed_at, 0, err);
}

/* Deletes a sent record claimed at CLAIMED_AT, and only that (see StoreBackend.forget),
 * with its job ids (first: they are found through the record's ids). */
static gboolean sq_forget(void *b, const char *tag, gint64 claimed_at, GError **err)
{
	g_autofree char *jobs = g_strdup_printf("DELETE FROM jobs WHERE id IN (SELECT j.value"
	                                        " FROM tags t, " SQ_IDS_OF("t") " j WHERE"
	                                        " t.tag = ?1 AND t.state = %d AND"
	                                        " t.claimed_at = ?2) AND tag = ?1", STORE_SENT);
	g_autofree char *rec = g_strdup_printf("DELETE FROM tags WHERE tag = ?1 AND state = %d"
	                                       " AND claimed_at = ?2", STORE_SENT);

	return sq_writes(b, (const char *const[]){ jobs, rec, NULL }, "forget an old sent record",
	                 tag, claimed_at, 0, err);
}

/* One number's claim inside the caller's transaction: inserted as TAG's unless a row is
 * there; a row of another tag that has no record any more, or is older than WINDOW, is
 * taken over; else the number is TAKEN (PENDING when its holder is not sent). */
static gboolean sq_number_tx(Sq *q, const char *key, const char *tag, const char *number,
                             gint64 now, gint64 window, GPtrArray *taken, gboolean *pending,
                             GError **err)
{
	sqlite3_stmt *st = sq_prepare(q, "INSERT OR IGNORE INTO numbers (mail, number, tag, at)"
	                                 " VALUES (?1, ?2, ?3, ?4)", err);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, number, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, tag, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, now);
	if (!sq_run(q, st, "claim a number", err))
		return FALSE;
	st = sq_prepare(q, "SELECT n.tag, n.at, t.state FROM numbers n LEFT JOIN tags t"
	                   " ON t.tag = n.tag WHERE n.mail = ?1 AND n.number = ?2", err);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, number, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sq_error(q, err, "read a number's claim");
		sq_done(st);
		return FALSE;
	}
	gboolean ours = g_strcmp0((const char *)sqlite3_column_text(st, 0), tag) == 0;
	gint64 at = sqlite3_column_int64(st, 1);
	gboolean held = sqlite3_column_type(st, 2) != SQLITE_NULL &&
	                (window <= 0 || now - at < window);
	gboolean sent = sqlite3_column_int(st, 2) == STORE_SENT;
	sq_done(st);
	if (ours)
		return TRUE;
	if (held) {
		g_ptr_array_add(taken, g_strdup(number));
		*pending |= !sent;
		return TRUE;
	}
	st = sq_prepare(q, "UPDATE numbers SET tag = ?3, at = ?4 WHERE mail = ?1 AND number = ?2",
	                err);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, number, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, tag, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, now);
	return sq_run(q, st, "take a number over", err);
}

/* Every number's claim in one transaction (see store_numbers_claim). */
static gboolean sq_numbers_claim(void *b, const char *key, const char *tag,
                                 const char *const *numbers, guint n, gint64 now,
                                 gint64 window, GPtrArray *taken, gboolean *pending,
                                 GError **err)
{
	Sq *q = b;
	gboolean ok = TRUE;

	if (!sq_begin(q, err))
		return FALSE;
	for (guint i = 0; ok && i < n; i++)
		ok = sq_number_tx(q, key, tag, numbers[i], now, window, taken, pending, err);
	if (ok)
		ok = sq_prune(q, now, err);
	if (!sq_finish(q, ok, err)) {
		g_ptr_array_set_size(taken, 0);
		*pending = FALSE;
		return FALSE;
	}
	return TRUE;
}

/* The numbers TAG holds for KEY are free again. */
static gboolean sq_numbers_release(void *b, const char *key, const char *tag, GError **err)
{
	Sq *q = b;

	if (!sq_begin(q, err))
		return FALSE;
	sqlite3_stmt *st = sq_prepare(q, "DELETE FROM numbers WHERE mail = ?1 AND tag = ?2", err);
	gboolean ok = st != NULL;
	if (ok) {
		sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, tag, -1, SQLITE_TRANSIENT);
		ok = sq_run(q, st, "release numbers", err);
	}
	return sq_finish(q, ok, err);
}

/* The lookup, with the lock held and a connection ready. */
static int sq_lookup_tx(Sq *q, gint64 job_id, StoreJobMeta *m, GError **err)
{
	g_autofree char *sql = g_strdup_printf(
		"SELECT t.tag, t.ids, t.queue_id, t.sender, t.message_id, t.subject, t.receivers,"
		" t.sent_at FROM jobs j JOIN tags t ON t.tag = j.tag WHERE j.id = ?1 AND t.state = %d",
		STORE_SENT);
	sqlite3_stmt *st = sq_prepare(q, sql, err);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, job_id);
	int rc = sqlite3_step(st), found = -1;
	if (rc == SQLITE_ROW) {
		char **f[] = { &m->tag, &m->ids, &m->queue_id, &m->sender, &m->message_id,
		               &m->subject, &m->receivers };
		for (guint i = 0; i < G_N_ELEMENTS(f); i++) {
			*f[i] = col_text(st, (int)i);
			if (*f[i] == NULL)
				*f[i] = g_strdup("");
		}
		m->sent_at = sqlite3_column_int64(st, G_N_ELEMENTS(f));
		found = 1;
	} else if (rc == SQLITE_DONE) {
		found = 0;
	} else {
		sq_error(q, err, "look the job up");
	}
	sq_done(st);
	return found;
}

/* The sent job with JOB_ID among its ids. */
static int sq_lookup_job(void *b, gint64 job_id, StoreJobMeta *m, GError **err)
{
	Sq *q = b;

	g_mutex_lock(&q->lock);
	int found = sq_ready(q, err) ? sq_lookup_tx(q, job_id, m, err) : -1;
	g_mutex_unlock(&q->lock);
	return found;
}

/* A named value, with the lock held and a connection ready. */
static gboolean sq_get_value_locked(Sq *q, const char *name, gint64 *value, gint64 *at,
                                    GError **err)
{
	sqlite3_stmt *st = sq_prepare(q, "SELECT value, at FROM vals WHERE name = ?1", err);
	gboolean ok = st != NULL;

	*at = 0;
	if (!ok)
		return FALSE;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*value = sqlite3_column_int64(st, 0);
		*at = sqlite3_column_int64(st, 1);
	} else if (rc != SQLITE_DONE) {
		sq_error(q, err, "read a value");
		ok = FALSE;
	}
	sq_done(st);
	return ok;
}

/* A named value (see StoreBackend.get_value). */
static gboolean sq_get_value(void *b, const char *name, gint64 *value, gint64 *at,
                             GError **err)
{
	Sq *q = b;

	g_mutex_lock(&q->lock);
	gboolean ok = sq_ready(q, err) && sq_get_value_locked(q, name, value, at, err);
	g_mutex_unlock(&q->lock);
	return ok;
}

/* Sets a named value in one short transaction. */
static gboolean sq_set_value(void *b, const char *name, gint64 value, gint64 now,
                             GError **err)
{
	Sq *q = b;

	if (!sq_begin(q, err))
		return FALSE;
	sqlite3_stmt *st = sq_prepare(q, "INSERT INTO vals (name, value, at) VALUES (?1, ?2, ?3)"
	                                 " ON CONFLICT(name) DO UPDATE SET value = ?2, at = ?3",
	                              err);
	gboolean ok = st != NULL;
	if (ok) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 2, value);
		sqlite3_bind_int64(st, 3, now);
		ok = sq_run(q, st, "set a value", err);
	}
	return sq_finish(q, ok, err);
}

/* Adds to a named value in one transaction: the upsert adds inside SQLite, so no other
 * writer comes between the read and the write. */
static gboolean sq_add_value(void *b, const char *name, gint64 delta, gint64 now,
                             gint64 *total, GError **err)
{
	Sq *q = b;
	gint64 at;

	if (!sq_begin(q, err))
		return FALSE;
	sqlite3_stmt *st = sq_prepare(q, "INSERT INTO vals (name, value, at) VALUES (?1, ?2, ?3)"
	                                 " ON CONFLICT(name) DO UPDATE SET value = value + ?2,"
	                                 " at = ?3", err);
	gboolean ok = st != NULL;
	if (ok) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 2, delta);
		sqlite3_bind_int64(st, 3, now);
		ok = sq_run(q, st, "add to a value", err) &&
		     sq_get_value_locked(q, name, total, &at, err) && sq_prune(q, now, err);
	}
	return sq_finish(q, ok, err);
}

/* Sets a text in one transaction, unless the one kept is newer: the upsert's condition
 * decides inside SQLite, so no other writer comes between the read and the write. */
static gboolean sq_set_text(void *b, const char *name, const char *text, gint64 now,
                            GError **err)
{
	Sq *q = b;

	if (!sq_begin(q, err))
		return FALSE;
	sqlite3_stmt *st = sq_prepare(q, "INSERT INTO texts (name, text, at) VALUES (?1, ?2, ?3)"
	                                 " ON CONFLICT(name) DO UPDATE SET text = ?2, at = ?3"
	                                 " WHERE ?3 >= texts.at", err);
	gboolean ok = st != NULL;
	if (ok) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, text, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 3, now);
		ok = sq_run(q, st, "set a text", err) && sq_prune(q, now, err);
	}
	return sq_finish(q, ok, err);
}

/* A text and its time, one read. */
static gboolean sq_get_text(void *b, const char *name, char **text, gint64 *at, GError **err)
{
	Sq *q = b;
	gboolean ok = FALSE;

	g_mutex_lock(&q->lock);
	sqlite3_stmt *st = sq_ready(q, err)
	                           ? sq_prepare(q, "SELECT text, at FROM texts WHERE name = ?1", err)
	                           : NULL;
	if (st != NULL) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
		int rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			*text = col_text(st, 0);
			*at = sqlite3_column_int64(st, 1);
		} else if (rc != SQLITE_DONE) {
			sq_error(q, err, "read a text");
		}
		ok = rc == SQLITE_ROW || rc == SQLITE_DONE;
		sq_done(st);
	}
	g_mutex_unlock(&q->lock);
	return ok;
}

/* KEY's window at NOW_MS for LIMIT (see StoreWindow), from one statement, so from one
 * snapshot even outside a transaction. */
static gboolean sq_window_read(Sq *q, const char *key, gint64 now_ms, gint64 window_ms,
                               guint limit, StoreWindow *out, GError **err)
{
	sqlite3_stmt *st = sq_prepare(q,
		"WITH w AS (SELECT at FROM windows WHERE key = ?1 AND at > ?2)"
		" SELECT (SELECT count(*) FROM w), (SELECT at FROM w ORDER BY at LIMIT 1"
		" OFFSET max((SELECT count(*) FROM w) - ?3, 0))", err);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, now_ms - window_ms);
	sqlite3_bind_int64(st, 3, limit);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sq_error(q, err, "count a window");
		sq_done(st);
		return FALSE;
	}
	out->count = (guint)sqlite3_column_int64(st, 0);
	out->frees_at_ms = out->count < limit ? now_ms : sqlite3_column_int64(st, 1) + window_ms;
	sq_done(st);
	return TRUE;
}

/* The take inside its transaction: the key's events out of the window are deleted (so a
 * key holds at most its limit of rows), one is recorded if there is room. */
static gboolean sq_window_take_tx(Sq *q, const char *key, const char *text, gint64 now_ms,
                                  gint64 window_ms, guint limit, StoreWindow *out,
                                  GError **err)
{
	sqlite3_stmt *st = sq_prepare(q, "DELETE FROM windows WHERE key = ?1 AND at <= ?2", err);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, now_ms - window_ms);
	if (!sq_run(q, st, "forget a window's old events", err) ||
	    !sq_window_read(q, key, now_ms, window_ms, limit, out, err))
		return FALSE;
	if (out->count < limit) {
		st = sq_prepare(q, "INSERT INTO windows (key, at, expires, name)"
		                   " VALUES (?1, ?2, ?3, ?4)", err);
		if (st == NULL)
			return FALSE;
		sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 2, now_ms);
		sqlite3_bind_int64(st, 3, now_ms + window_ms);
		sqlite3_bind_text(st, 4, text, -1, SQLITE_TRANSIENT);
		if (!sq_run(q, st, "record a window's event", err) ||
		    !sq_window_read(q, key, now_ms, window_ms, limit, out, err))
			return FALSE;
		out->admitted = TRUE;
	}
	return sq_prune(q, now_ms / 1000, err);
}

/* A take in one BEGIN IMMEDIATE transaction (no other process counts between our count
 * and our insert); a count is one read. */
static gboolean sq_window(void *b, const char *key, const char *text, gint64 now_ms,
                          gint64 window_ms, guint limit, gboolean take, StoreWindow *out,
                          GError **err)
{
	Sq *q = b;

	if (!take) {
		g_mutex_lock(&q->lock);
		gboolean ok = sq_ready(q, err) &&
		              sq_window_read(q, key, now_ms, window_ms, limit, out, err);
		out->admitted = ok && out->count < limit;
		g_mutex_unlock(&q->lock);
		return ok;
	}
	if (!sq_begin(q, err))
		return FALSE;
	return sq_finish(q, sq_window_take_tx(q, key, text, now_ms, window_ms, limit, out, err),
	                 err);
}

/* One event at AT_MS no longer counts (any one of those sharing the millisecond). */
static gboolean sq_window_give_back(void *b, const char *key, gint64 at_ms, GError **err)
{
	return sq_write1(b, "DELETE FROM windows WHERE rowid = (SELECT rowid FROM windows"
	                    " WHERE key = ?1 AND at = ?2 LIMIT 1)", "give a window's event back",
	                 key, at_ms, 0, err);
}

/* The windows over LIMIT whose name starts with PREFIX, one read. A key's events are
 * counted whether or not they carry its name (those of schema 3 do not); the frees time
 * is read as in sq_window_read, the LIMIT-th newest event's (the one at count - LIMIT from
 * the oldest). The prefix is compared with substr(), not LIKE, which has wildcards and
 * ignores ASCII case. Every live event is read: this serves a command, not a mail. */
static gboolean sq_window_list_locked(Sq *q, const char *prefix, gint64 now_ms,
                                      gint64 window_ms, guint limit, guint max,
                                      GPtrArray *out, GError **err)
{
	sqlite3_stmt *st = sq_prepare(q,
		"SELECT max(w.name), count(*), (SELECT e.at FROM windows e WHERE e.key = w.key"
		" AND e.at > ?2 ORDER BY e.at DESC LIMIT 1 OFFSET ?3 - 1)"
		" FROM windows w WHERE w.at > ?2 GROUP BY w.key"
		" HAVING count(*) >= ?3 AND substr(max(w.name), 1, length(?1)) = ?1"
		" ORDER BY max(w.name), w.key LIMIT ?4", err);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_text(st, 1, prefix, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, now_ms - window_ms);
	sqlite3_bind_int64(st, 3, limit);
	sqlite3_bind_int64(st, 4, max);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		StoreWindowEntry *w = g_new0(StoreWindowEntry, 1);
		w->key = col_text(st, 0);
		w->count = (guint)sqlite3_column_int64(st, 1);
		w->frees_at_ms = sqlite3_column_int64(st, 2) + window_ms;
		g_ptr_array_add(out, w);
	}
	if (rc != SQLITE_DONE)
		sq_error(q, err, "list windows");
	sq_done(st);
	return rc == SQLITE_DONE;
}

static gboolean sq_window_list(void *b, const char *prefix, gint64 now_ms, gint64 window_ms,
                               guint limit, guint max, GPtrArray *out, GError **err)
{
	Sq *q = b;

	g_mutex_lock(&q->lock);
	gboolean ok = sq_ready(q, err) &&
	              sq_window_list_locked(q, prefix, now_ms, window_ms, limit, max, out, err);
	g_mutex_unlock(&q->lock);
	return ok;
}

/* One held alert, in its own transaction. */
static gboolean sq_hold(void *b, const char *queue, gint64 now, const char *summary,
                        GError **err)
{
	Sq *q = b;

	if (!sq_begin(q, err))
		return FALSE;
	sqlite3_stmt *st = sq_prepare(q, "INSERT INTO held (queue, at, summary)"
	                                 " VALUES (?1, ?2, ?3)", err);
	gboolean ok = st != NULL;
	if (ok) {
		sqlite3_bind_text(st, 1, queue, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 2, now);
		sqlite3_bind_text(st, 3, summary, -1, SQLITE_TRANSIENT);
		ok = sq_run(q, st, "hold an alert", err) && sq_prune(q, now, err);
	}
	return sq_finish(q, ok, err);
}

/* Runs SQL with the text A as ?1, the text B (may be NULL) as ?2 and the numbers C, D as
 * ?3, ?4, inside the caller's transaction. */
static gboolean sq_held_run(Sq *q, const char *sql, const char *what, const char *a,
                            const char *b, gint64 c, gint64 d, GError **err)
{
	sqlite3_stmt *st = sq_prepare(q, sql, err);

	if (st == NULL)
		return FALSE;
	sqlite3_bind_text(st, 1, a, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, b, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, c);
	sqlite3_bind_int64(st, 4, d);
	return sq_run(q, st, what, err);
}

/* The digest TAG's alerts into OUT, inside the caller's transaction. */
static gboolean sq_held_read(Sq *q, const char *tag, guint max, StoreHeld *out, GError **err)
{
	sqlite3_stmt *st = sq_prepare(q, "SELECT count(*), min(at), max(at) FROM held"
	                                 " WHERE digest = ?1", err);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_text(st, 1, tag, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sq_error(q, err, "read a digest");
		sq_done(st);
		return FALSE;
	}
	out->count = (guint)sqlite3_column_int64(st, 0);
	out->first_at = sqlite3_column_int64(st, 1);
	out->last_at = sqlite3_column_int64(st, 2);
	sq_done(st);
	st = sq_prepare(q, "SELECT summary FROM held WHERE digest = ?1"
	                   " ORDER BY at DESC, id DESC LIMIT ?2", err);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_text(st, 1, tag, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, max);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		g_ptr_array_add(out->summaries, col_text(st, 0));
	if (rc != SQLITE_DONE)
		sq_error(q, err, "read a digest's summaries");
	sq_done(st);
	return rc == SQLITE_DONE;
}

/* The take inside its transaction: a digest that holds alerts already is a crashed taker's,
 * given back as it is; else the queue's held alerts become the digest's. Alerts past keep
 * are deleted first: they count nowhere. */
static gboolean sq_held_take_tx(Sq *q, const char *queue, const char *tag, gint64 now,
                                guint max, StoreHeld *out, GError **err)
{
	gint64 old = now - q->keep;

	if (!sq_held_run(q, "DELETE FROM held WHERE digest = ?1 AND at < ?3",
	                 "forget a digest's old alerts", tag, NULL, old, 0, err) ||
	    !sq_held_read(q, tag, max, out, err))
		return FALSE;
	if (out->count == 0) {
		if (!sq_held_run(q, "DELETE FROM held WHERE queue = ?1 AND digest IS NULL"
		                    " AND at < ?3", "forget a queue's old alerts",
		                 queue, NULL, old, 0, err) ||
		    !sq_held_run(q, "UPDATE held SET digest = ?2, taken = ?3"
		                    " WHERE queue = ?1 AND digest IS NULL", "take held alerts",
		                 queue, tag, now, 0, err) ||
		    !sq_held_read(q, tag, max, out, err))
			return FALSE;
	}
	return sq_prune(q, now, err);
}

/* A take in one BEGIN IMMEDIATE transaction: of two takers, the second finds nothing
 * left to take. */
static gboolean sq_held_take(void *b, const char *queue, const char *tag, gint64 now,
                             guint max, StoreHeld *out, GError **err)
{
	Sq *q = b;

	if (!sq_begin(q, err))
		return FALSE;
	return sq_finish(q, sq_held_take_tx(q, queue, tag, now, max, out, err), err);
}

/* The digest went out: its alerts go. */
static gboolean sq_held_done(void *b, const char *tag, GError **err)
{
	return sq_write1(b, "DELETE FROM held WHERE digest = ?1", "delete a digest", tag, 0, 0,
	                 err);
}

/* The digest did not go: its alerts are their queue's again, with their times. */
static gboolean sq_held_return(void *b, const char *tag, GError **err)
{
	return sq_write1(b, "UPDATE held SET digest = NULL, taken = NULL WHERE digest = ?1",
	                 "return a digest", tag, 0, 0, err);
}

/* The queues holding alerts not past keep at NOW, one read: the oldest first, so that a
 * bounded list still reaches every queue as the oldest are sent. */
static gboolean sq_held_list_locked(Sq *q, gint64 now, guint max, GPtrArray *out,
                                    GError **err)
{
	sqlite3_stmt *st = sq_prepare(q,
		"SELECT h.queue, count(*), min(h.at), max(h.at),"
		" (SELECT d.digest FROM held d WHERE d.queue = h.queue AND d.digest IS NOT NULL"
		" AND d.at >= ?1 ORDER BY d.taken, d.digest LIMIT 1)"
		" FROM held h WHERE h.at >= ?1 GROUP BY h.queue ORDER BY min(h.at), h.queue"
		" LIMIT ?2", err);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_int64(st, 1, now - q->keep);
	sqlite3_bind_int64(st, 2, max);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		StoreHeldQueue *h = g_new0(StoreHeldQueue, 1);
		h->queue = col_text(st, 0);
		h->count = (guint)sqlite3_column_int64(st, 1);
		h->first_at = sqlite3_column_int64(st, 2);
		h->last_at = sqlite3_column_int64(st, 3);
		h->digest_tag = col_text(st, 4);
		g_ptr_array_add(out, h);
	}
	if (rc != SQLITE_DONE)
		sq_error(q, err, "list held alerts");
	sq_done(st);
	return rc == SQLITE_DONE;
}

static gboolean sq_held_list(void *b, gint64 now, guint max, GPtrArray *out, GError **err)
{
	Sq *q = b;

	g_mutex_lock(&q->lock);
	gboolean ok = sq_ready(q, err) && sq_held_list_locked(q, now, max, out, err);
	g_mutex_unlock(&q->lock);
	return ok;
}

/* The file is there (created again if not) and readable. */
static gboolean sq_ping(void *b, GError **err)
{
	Sq *q = b;

	g_mutex_lock(&q->lock);
	gboolean ok = sq_ready(q, err) && sq_exec(q, "SELECT count(*) FROM tags", err);
	g_mutex_unlock(&q->lock);
	return ok;
}

const StoreBackend store_backend_sqlite = {
	.name = "sqlite",
	.open = sq_open,
	.close = sq_close,
	.claim = sq_claim,
	.sent = sq_sent,
	.doubt = sq_doubt,
	.release = sq_release,
	.forget = sq_forget,
	.numbers_claim = sq_numbers_claim,
	.numbers_release = sq_numbers_release,
	.lookup_job = sq_lookup_job,
	.get_value = sq_get_value,
	.set_value = sq_set_value,
	.add_value = sq_add_value,
	.set_text = sq_set_text,
	.get_text = sq_get_text,
	.window = sq_window,
	.window_give_back = sq_window_give_back,
	.window_list = sq_window_list,
	.hold = sq_hold,
	.held_take = sq_held_take,
	.held_done = sq_held_done,
	.held_return = sq_held_return,
	.held_list = sq_held_list,
	.ping = sq_ping,
};
