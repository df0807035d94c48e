/*
 * write_pt.c - .pt feature files in pure C, and their completeness check.
 *
 * The reference saves each video's features with torch.save, and users
 * read them back with torch.load; the C core must produce the same files
 * without linking libtorch (the core runs where libtorch does not, e.g.
 * under ASan, and feature files are written by the core). A torch.save
 * file is a zip archive of a few entries under one top-level folder:
 *
 *   archive/data.pkl   a pickle that rebuilds the tensor from a storage
 *   archive/byteorder  "little" (torch 2.x writes and reads it)
 *   archive/data/0     the storage's raw little-endian float32 bytes
 *   archive/version    the archive format version, "3\n"
 *
 * Entries are stored uncompressed, and each entry's data starts on a
 * 64-byte boundary (padded with a local-header extra field, as torch does)
 * so readers can map storages in place. No zip64: a feature file over
 * 4 GiB is refused instead.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavutil/crc.h>

#include "output/store_format.h"
#include "output/write_internal.h"
#include "util/error.h"
#include "util/fs.h"

#define PT_ALIGN 64
#define ZIP_LOCAL_SIG 0x04034b50u
#define ZIP_CENTRAL_SIG 0x02014b50u
#define ZIP_EOCD_SIG 0x06054b50u
#define ZIP64_EOCD_SIG 0x06064b50u
#define ZIP64_LOCATOR_SIG 0x07064b50u
#define ZIP_LOCAL_SIZE 30
#define ZIP_CENTRAL_SIZE 46
#define ZIP_EOCD_SIZE 22
#define ZIP64_EOCD_SIZE 56
#define ZIP64_LOCATOR_SIZE 20
/* The padding extra field's id, "FB" as torch writes it. */
#define ZIP_PAD_EXTRA_ID 0x4246u
/* 1980-01-01 00:00 in MS-DOS format: a fixed stamp keeps output
 * reproducible (same features, same bytes). */
#define ZIP_DOS_DATE 0x0021u
#define ZIP_DOS_TIME 0x0000u
/* Headers, names, pickle: far below this for up to WRITE_MAX_DIMS dims. */
#define PT_OVERHEAD_MAX 4096u

/* ---- Pickle ------------------------------------------------------------- */

/* Pickle opcodes used (protocol 2). */
enum {
  OP_PROTO = 0x80,
  OP_GLOBAL = 'c',
  OP_MARK = '(',
  OP_TUPLE = 't',
  OP_EMPTY_TUPLE = ')',
  OP_BINUNICODE = 'X',
  OP_BININT = 'J',
  OP_BININT1 = 'K',
  OP_BININT2 = 'M',
  OP_LONG1 = 0x8a,
  OP_BINPERSID = 'Q',
  OP_NEWFALSE = 0x89,
  OP_REDUCE = 'R',
  OP_STOP = '.',
};

static void pk_global(membuf *b, const char *module, const char *name) {
  membuf_byte(b, OP_GLOBAL);
  membuf_printf(b, "%s\n%s\n", module, name);
}

static void pk_str(membuf *b, const char *s) {
  size_t n = strlen(s);
  membuf_byte(b, OP_BINUNICODE);
  membuf_u32le(b, (uint32_t)n);
  membuf_put(b, s, n);
}

/* The smallest encoding Python's own pickler would choose: sizes past
 * 2^31 - 1 (a big tensor's numel) need LONG1, whose payload is the value in
 * little-endian two's complement with no redundant sign bytes. */
static void pk_int(membuf *b, int64_t v) {
  if (v >= 0 && v <= 0xff) {
    membuf_byte(b, OP_BININT1);
    membuf_byte(b, (uint8_t)v);
  } else if (v >= 0 && v <= 0xffff) {
    membuf_byte(b, OP_BININT2);
    membuf_u16le(b, (uint16_t)v);
  } else if (v >= INT32_MIN && v <= INT32_MAX) {
    membuf_byte(b, OP_BININT);
    membuf_u32le(b, (uint32_t)(int32_t)v);
  } else {
    uint8_t bytes[8];
    uint64_t u = (uint64_t)v;
    for (int i = 0; i < 8; i++)
      bytes[i] = (uint8_t)(u >> (8 * i));
    int n = 8;
    while (n > 1 && ((bytes[n - 1] == 0x00 && !(bytes[n - 2] & 0x80)) ||
                     (bytes[n - 1] == 0xff && (bytes[n - 2] & 0x80))))
      n--;
    membuf_byte(b, OP_LONG1);
    membuf_byte(b, (uint8_t)n);
    membuf_put(b, bytes, (size_t)n);
  }
}

static void pk_int_tuple(membuf *b, const int64_t *v, int n) {
  membuf_byte(b, OP_MARK);
  for (int i = 0; i < n; i++)
    pk_int(b, v[i]);
  membuf_byte(b, OP_TUPLE);
}

int write_pt_pickle(membuf *b, const int64_t *shape, int ndim, int64_t numel) {
  if (ndim < 1 || ndim > WRITE_MAX_DIMS)
    return ef_error_set(EF_EINVAL, "pickle: bad rank %d", ndim);
  int64_t stride[WRITE_MAX_DIMS];
  int64_t s = 1;
  for (int i = ndim - 1; i >= 0; i--) {
    stride[i] = s;
    /* torch gives size-0 and size-1 dims the stride they would have with
     * size 1, so the product never collapses to 0. */
    s *= shape[i] > 1 ? shape[i] : 1;
  }

  /* torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride,
   * requires_grad, backward_hooks), where storage is a persistent id
   * ('storage', torch.FloatStorage, key, location, numel) that torch.load
   * resolves to the entry data/<key>. */
  membuf_byte(b, OP_PROTO);
  membuf_byte(b, 2);
  pk_global(b, "torch._utils", "_rebuild_tensor_v2");
  membuf_byte(b, OP_MARK);
  membuf_byte(b, OP_MARK);
  pk_str(b, "storage");
  pk_global(b, "torch", "FloatStorage");
  pk_str(b, "0");
  pk_str(b, "cpu");
  pk_int(b, numel);
  membuf_byte(b, OP_TUPLE);
  membuf_byte(b, OP_BINPERSID);
  pk_int(b, 0);
  pk_int_tuple(b, shape, ndim);
  pk_int_tuple(b, stride, ndim);
  membuf_byte(b, OP_NEWFALSE);
  pk_global(b, "collections", "OrderedDict");
  membuf_byte(b, OP_EMPTY_TUPLE);
  membuf_byte(b, OP_REDUCE);
  membuf_byte(b, OP_TUPLE);
  membuf_byte(b, OP_REDUCE);
  membuf_byte(b, OP_STOP);
  return b->failed ? ef_error_set(EF_ENOMEM, "pickle: out of memory") : EF_OK;
}

/* ---- Zip writer --------------------------------------------------------- */

typedef struct {
  const char *name;
  uint32_t offset; /* of the local header */
  uint32_t size;
  uint32_t crc;
} zip_entry;

/* zip's CRC-32 is the reflected IEEE polynomial with the register preset
 * to all ones and the result inverted; av_crc leaves both to the caller. */
static uint32_t zip_crc(const uint8_t *p, size_t n) {
  const AVCRC *table = av_crc_get_table(AV_CRC_32_IEEE_LE);
  uint32_t crc = UINT32_MAX;
  while (n > 0) {
    /* Older libavutil takes an unsigned int length. */
    size_t chunk = n > ((size_t)1 << 30) ? ((size_t)1 << 30) : n;
    crc = av_crc(table, crc, p, chunk);
    p += chunk;
    n -= chunk;
  }
  return crc ^ UINT32_MAX;
}

static void zip_put_u32_at(membuf *b, size_t at, uint32_t v) {
  b->data[at] = (uint8_t)v;
  b->data[at + 1] = (uint8_t)(v >> 8);
  b->data[at + 2] = (uint8_t)(v >> 16);
  b->data[at + 3] = (uint8_t)(v >> 24);
}

/* Writes a local header whose padding puts the data on a PT_ALIGN
 * boundary; the caller appends the data and calls zip_end_entry. */
static void zip_begin_entry(membuf *b, zip_entry *e, const char *name) {
  size_t name_len = strlen(name);
  e->name = name;
  e->offset = (uint32_t)b->len;
  size_t start = b->len + ZIP_LOCAL_SIZE + name_len + 4;
  size_t pad = (PT_ALIGN - start % PT_ALIGN) % PT_ALIGN;
  membuf_u32le(b, ZIP_LOCAL_SIG);
  membuf_u16le(b, 20); /* version needed: 2.0 */
  membuf_u16le(b, 0);  /* flags: sizes and CRC are in this header */
  membuf_u16le(b, 0);  /* method: stored */
  membuf_u16le(b, ZIP_DOS_TIME);
  membuf_u16le(b, ZIP_DOS_DATE);
  membuf_u32le(b, 0); /* CRC, patched by zip_end_entry */
  membuf_u32le(b, 0); /* compressed size, patched */
  membuf_u32le(b, 0); /* uncompressed size, patched */
  membuf_u16le(b, (uint16_t)name_len);
  membuf_u16le(b, (uint16_t)(4 + pad));
  membuf_put(b, name, name_len);
  membuf_u16le(b, ZIP_PAD_EXTRA_ID);
  membuf_u16le(b, (uint16_t)pad);
  for (size_t i = 0; i < pad; i++)
    membuf_byte(b, 'Z');
}

static void zip_end_entry(membuf *b, zip_entry *e, size_t data_start) {
  if (b->failed)
    return;
  size_t n = b->len - data_start;
  e->size = (uint32_t)n;
  e->crc = zip_crc(b->data + data_start, n);
  zip_put_u32_at(b, e->offset + 14, e->crc);
  zip_put_u32_at(b, e->offset + 18, e->size);
  zip_put_u32_at(b, e->offset + 22, e->size);
}

static void zip_finish(membuf *b, const zip_entry *e, int n) {
  size_t cd_start = b->len;
  for (int i = 0; i < n; i++) {
    size_t name_len = strlen(e[i].name);
    membuf_u32le(b, ZIP_CENTRAL_SIG);
    membuf_u16le(b, 20); /* made by: MS-DOS attributes, zip 2.0 */
    membuf_u16le(b, 20); /* version needed */
    membuf_u16le(b, 0);  /* flags */
    membuf_u16le(b, 0);  /* stored */
    membuf_u16le(b, ZIP_DOS_TIME);
    membuf_u16le(b, ZIP_DOS_DATE);
    membuf_u32le(b, e[i].crc);
    membuf_u32le(b, e[i].size);
    membuf_u32le(b, e[i].size);
    membuf_u16le(b, (uint16_t)name_len);
    membuf_u16le(b, 0); /* extra */
    membuf_u16le(b, 0); /* comment */
    membuf_u16le(b, 0); /* disk */
    membuf_u16le(b, 0); /* internal attributes */
    membuf_u32le(b, 0); /* external attributes */
    membuf_u32le(b, e[i].offset);
    membuf_put(b, e[i].name, name_len);
  }
  size_t cd_size = b->len - cd_start;
  membuf_u32le(b, ZIP_EOCD_SIG);
  membuf_u16le(b, 0); /* this disk */
  membuf_u16le(b, 0); /* disk with the central directory */
  membuf_u16le(b, (uint16_t)n);
  membuf_u16le(b, (uint16_t)n);
  membuf_u32le(b, (uint32_t)cd_size);
  membuf_u32le(b, (uint32_t)cd_start);
  membuf_u16le(b, 0); /* comment */
}

int write_pt_encode(const char *what, const float *data, const int64_t *shape,
                    int ndim, void **out, size_t *len) {
  *out = NULL;
  *len = 0;
  int64_t numel;
  int rc = write_check_tensor(what, data, shape, ndim, &numel);
  if (rc != EF_OK)
    return rc;
  uint64_t data_bytes = (uint64_t)numel * 4;
  if (data_bytes > UINT32_MAX - PT_OVERHEAD_MAX)
    return ef_error_set(EF_EINVAL,
                        "%s: %llu bytes of features is too large for a .pt "
                        "file without zip64 (limit 4 GiB); use the npy "
                        "format",
                        what, (unsigned long long)data_bytes);

  membuf b;
  membuf_init(&b);
  /* One allocation up front: the data dominates and doubling a multi-GB
   * buffer would briefly need twice the memory. */
  if (membuf_reserve(&b, (size_t)data_bytes + PT_OVERHEAD_MAX) != 0)
    goto oom;

  zip_entry e[4];
  zip_begin_entry(&b, &e[0], "archive/data.pkl");
  size_t start = b.len;
  rc = write_pt_pickle(&b, shape, ndim, numel);
  if (rc != EF_OK)
    goto fail;
  zip_end_entry(&b, &e[0], start);

  /* torch 2.x records the storage byte order and honours it on load; the
   * older readers ignore the entry. */
  zip_begin_entry(&b, &e[1], "archive/byteorder");
  start = b.len;
  membuf_put(&b, "little", 6);
  zip_end_entry(&b, &e[1], start);

  zip_begin_entry(&b, &e[2], "archive/data/0");
  start = b.len;
  membuf_f32le(&b, data, (size_t)numel);
  zip_end_entry(&b, &e[2], start);

  zip_begin_entry(&b, &e[3], "archive/version");
  start = b.len;
  membuf_put(&b, "3\n", 2);
  zip_end_entry(&b, &e[3], start);

  zip_finish(&b, e, 4);
  if (b.failed)
    goto oom;
  *out = b.data;
  *len = b.len;
  return EF_OK;

oom:
  rc = ef_error_set(EF_ENOMEM, "%s: out of memory encoding %llu bytes", what,
                    (unsigned long long)data_bytes);
fail:
  membuf_free(&b);
  return rc;
}

/* ---- Completeness check ------------------------------------------------- */

static uint16_t rd16(const uint8_t *p) {
  return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t rd32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
         (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p) {
  return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static int read_at(int fd, void *buf, size_t n, uint64_t off) {
  uint8_t *p = buf;
  while (n > 0) {
    ssize_t r = pread(fd, p, n, (off_t)off);
    if (r <= 0)
      return -1;
    p += r;
    n -= (size_t)r;
    off += (uint64_t)r;
  }
  return 0;
}

/* One central-directory entry, with zip64 values resolved. */
typedef struct {
  const uint8_t *name;
  size_t name_len;
  uint64_t size; /* compressed: the bytes the entry occupies */
  uint64_t offset;
} cd_entry;

/* Parses the entry at cd[*pos]; advances *pos. 0 on success. */
static int cd_next(const uint8_t *cd, size_t cd_size, size_t *pos,
                   cd_entry *e) {
  size_t p = *pos;
  if (cd_size - p < ZIP_CENTRAL_SIZE || rd32(cd + p) != ZIP_CENTRAL_SIG)
    return -1;
  const uint8_t *h = cd + p;
  uint64_t csize = rd32(h + 20), usize = rd32(h + 24), off = rd32(h + 42);
  size_t nl = rd16(h + 28), xl = rd16(h + 30), cl = rd16(h + 32);
  if (cd_size - p - ZIP_CENTRAL_SIZE < nl + xl + cl)
    return -1;
  /* Writers switch to zip64 per field: a field set to all ones moves to
   * the 0x0001 extra, in the order usize, csize, offset. */
  const uint8_t *x = h + ZIP_CENTRAL_SIZE + nl, *xend = x + xl;
  while (xend - x >= 4) {
    uint16_t id = rd16(x), sz = rd16(x + 2);
    if (xend - x - 4 < sz)
      return -1;
    if (id == 0x0001) {
      const uint8_t *v = x + 4, *vend = v + sz;
      if (usize == UINT32_MAX) {
        if (vend - v < 8)
          return -1;
        usize = rd64(v);
        v += 8;
      }
      if (csize == UINT32_MAX) {
        if (vend - v < 8)
          return -1;
        csize = rd64(v);
        v += 8;
      }
      if (off == UINT32_MAX) {
        if (vend - v < 8)
          return -1;
        off = rd64(v);
      }
    }
    x += 4 + sz;
  }
  e->name = h + ZIP_CENTRAL_SIZE;
  e->name_len = nl;
  e->size = csize;
  e->offset = off;
  *pos = p + ZIP_CENTRAL_SIZE + nl + xl + cl;
  return 0;
}

/* Finds "<prefix><suffix>" in the central directory. With prefix NULL,
 * matches any single top-level folder and returns its length (with the
 * '/') in *prefix_len: torch names the folder after the file's stem when
 * saving to a path, and "archive" when saving to a buffer. */
static int cd_find(const uint8_t *cd, size_t cd_size, uint64_t entries,
                   const uint8_t *prefix, size_t *prefix_len,
                   const char *suffix, cd_entry *found) {
  size_t sl = strlen(suffix), pos = 0;
  for (uint64_t i = 0; i < entries; i++) {
    cd_entry e;
    if (cd_next(cd, cd_size, &pos, &e) != 0)
      return -1;
    if (e.name_len <= sl || memcmp(e.name + e.name_len - sl, suffix, sl))
      continue;
    size_t pl = e.name_len - sl;
    if (prefix) {
      if (pl != *prefix_len || memcmp(e.name, prefix, pl))
        continue;
    } else {
      if (e.name[pl - 1] != '/' || memchr(e.name, '/', pl - 1))
        continue;
      *prefix_len = pl;
    }
    *found = e;
    return 0;
  }
  return -1;
}

/* The entry's data must lie between its local header and the central
 * directory: a cut-off or overwritten file fails here. */
static int entry_fits(int fd, const cd_entry *e, uint64_t cd_off) {
  uint8_t h[ZIP_LOCAL_SIZE];
  if (e->offset > cd_off || cd_off - e->offset < ZIP_LOCAL_SIZE ||
      read_at(fd, h, sizeof h, e->offset) != 0 || rd32(h) != ZIP_LOCAL_SIG)
    return 0;
  uint64_t data = e->offset + ZIP_LOCAL_SIZE + rd16(h + 26) + rd16(h + 28);
  return data <= cd_off && e->size <= cd_off - data;
}

int write_pt_complete(const char *path) {
  int ok = 0;
  uint8_t *cd = NULL;
  int fd = fs_open_regular(path);
  if (fd < 0)
    return 0;
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < ZIP_EOCD_SIZE)
    goto done;
  uint64_t size = (uint64_t)st.st_size;

  /* The end record must be the last bytes (we write no comment, nor does
   * torch): anything after it, or a file cut before it, is not complete. */
  uint8_t eocd[ZIP_EOCD_SIZE];
  uint64_t eocd_off = size - ZIP_EOCD_SIZE;
  if (read_at(fd, eocd, sizeof eocd, eocd_off) != 0 ||
      rd32(eocd) != ZIP_EOCD_SIG || rd16(eocd + 20) != 0 ||
      rd16(eocd + 4) != 0 || rd16(eocd + 6) != 0)
    goto done;
  uint64_t entries = rd16(eocd + 10);
  uint64_t cd_size = rd32(eocd + 12), cd_off = rd32(eocd + 16);
  uint64_t cd_end = eocd_off;
  /* torch always adds a zip64 end record and its locator (just before the
   * end record), big archive or not; where present they hold the real
   * values, and the zip64 record's declared size must reach exactly to
   * the locator. */
  uint8_t loc[ZIP64_LOCATOR_SIZE];
  if (eocd_off >= ZIP64_LOCATOR_SIZE + ZIP64_EOCD_SIZE &&
      read_at(fd, loc, sizeof loc, eocd_off - ZIP64_LOCATOR_SIZE) == 0 &&
      rd32(loc) == ZIP64_LOCATOR_SIG) {
    uint8_t e64[ZIP64_EOCD_SIZE];
    uint64_t e64_off = rd64(loc + 8);
    uint64_t loc_off = eocd_off - ZIP64_LOCATOR_SIZE;
    if (e64_off > loc_off - ZIP64_EOCD_SIZE ||
        read_at(fd, e64, sizeof e64, e64_off) != 0 ||
        rd32(e64) != ZIP64_EOCD_SIG || rd64(e64 + 4) != loc_off - e64_off - 12)
      goto done;
    entries = rd64(e64 + 32);
    cd_size = rd64(e64 + 40);
    cd_off = rd64(e64 + 48);
    cd_end = e64_off;
  } else if (entries == 0xffff || cd_size == UINT32_MAX ||
             cd_off == UINT32_MAX) {
    goto done; /* zip64 values without the zip64 record */
  }
  /* Feature archives hold a handful of entries; a huge directory is not
   * one of ours and not worth reading. */
  if (cd_off > cd_end || cd_end - cd_off != cd_size || cd_size == 0 ||
      cd_size > ((uint64_t)1 << 24))
    goto done;
  cd = malloc((size_t)cd_size);
  if (!cd || read_at(fd, cd, (size_t)cd_size, cd_off) != 0)
    goto done;

  cd_entry pkl, dat;
  size_t prefix_len = 0;
  if (cd_find(cd, (size_t)cd_size, entries, NULL, &prefix_len, "data.pkl",
              &pkl) != 0 ||
      cd_find(cd, (size_t)cd_size, entries, pkl.name, &prefix_len, "data/0",
              &dat) != 0)
    goto done;
  ok = entry_fits(fd, &pkl, cd_off) && entry_fits(fd, &dat, cd_off);

done:
  free(cd);
  close(fd);
  return ok;
}

/* ---- Reading features back (for merge) ---------------------------------- */

/* Skips pickle memo opcodes (BINPUT, LONG_BINPUT, MEMOIZE), which torch's
 * pickler puts after objects and ours does not. */
static size_t pk_skip_memo(const uint8_t *p, size_t i, size_t n) {
  for (;;) {
    if (i < n && p[i] == 'q')
      i += 2;
    else if (i < n && p[i] == 'r')
      i += 5;
    else if (i < n && p[i] == 0x94)
      i += 1;
    else
      return i;
  }
}

/* A small non-negative int at p[*i] (BININT1/2/BININT); -1 if none. */
static int64_t pk_read_int(const uint8_t *p, size_t *i, size_t n) {
  size_t k = *i;
  if (k + 2 <= n && p[k] == OP_BININT1) {
    *i = k + 2;
    return p[k + 1];
  }
  if (k + 3 <= n && p[k] == OP_BININT2) {
    *i = k + 3;
    return rd16(p + k + 1);
  }
  if (k + 5 <= n && p[k] == OP_BININT) {
    *i = k + 5;
    return (int32_t)rd32(p + k + 1);
  }
  if (k + 2 <= n && p[k] == OP_LONG1 && p[k + 1] <= 8 &&
      k + 2 + p[k + 1] <= n) {
    uint64_t v = 0;
    for (int b = p[k + 1] - 1; b >= 0; b--)
      v = v << 8 | p[k + 2 + b];
    *i = k + 2 + p[k + 1];
    return v > INT64_MAX ? -1 : (int64_t)v;
  }
  return -1;
}

/* The size tuple of a _rebuild_tensor_v2 pickle: after the storage's
 * persistent id (BINPERSID), the storage offset (must be 0), then the
 * sizes, as MARK ... TUPLE or torch's TUPLE1/2/3. 0 on success. */
static int pk_parse_shape(const uint8_t *p, size_t n, int64_t *shape,
                          int *ndim) {
  const uint8_t *q = memchr(p, OP_BINPERSID, n);
  if (!q)
    return -1;
  size_t i = pk_skip_memo(p, (size_t)(q - p) + 1, n);
  if (pk_read_int(p, &i, n) != 0)
    return -1;
  i = pk_skip_memo(p, i, n);
  int mark = i < n && p[i] == OP_MARK;
  if (mark)
    i++;
  int d = 0;
  for (;;) {
    if (i >= n)
      return -1;
    if (p[i] == OP_TUPLE || p[i] == OP_EMPTY_TUPLE ||
        (p[i] >= 0x85 && p[i] <= 0x87))
      break;
    int64_t v = pk_read_int(p, &i, n);
    if (v < 0 || d >= WRITE_MAX_DIMS)
      return -1;
    shape[d++] = v;
  }
  if (p[i] == OP_TUPLE ? !mark
                       : (p[i] == OP_EMPTY_TUPLE ? d != 0 : d != p[i] - 0x84))
    return -1;
  *ndim = d;
  return 0;
}

int write_pt_read(const char *path, float **data, int64_t *shape, int *ndim) {
  *data = NULL;
  *ndim = 0;
  int rc = EF_OK;
  uint8_t *cd = NULL, *pkl = NULL;
  float *v = NULL;
  if (!write_pt_complete(path))
    return ef_error_set(EF_EINVAL, "%s: not a complete .pt file", path);
  int fd = fs_open_regular(path);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) {
    rc = ef_error_set(EF_EIO, "cannot read %s", path);
    goto cleanup;
  }
  /* write_pt_complete checked the layout; find the two entries again. */
  uint64_t size = (uint64_t)st.st_size;
  uint8_t eocd[ZIP_EOCD_SIZE], loc[ZIP64_LOCATOR_SIZE], e64[ZIP64_EOCD_SIZE];
  read_at(fd, eocd, sizeof eocd, size - ZIP_EOCD_SIZE);
  uint64_t entries = rd16(eocd + 10), cd_size = rd32(eocd + 12),
           cd_off = rd32(eocd + 16);
  uint64_t eocd_off = size - ZIP_EOCD_SIZE;
  if (eocd_off >= ZIP64_LOCATOR_SIZE + ZIP64_EOCD_SIZE &&
      read_at(fd, loc, sizeof loc, eocd_off - ZIP64_LOCATOR_SIZE) == 0 &&
      rd32(loc) == ZIP64_LOCATOR_SIG &&
      read_at(fd, e64, sizeof e64, rd64(loc + 8)) == 0) {
    entries = rd64(e64 + 32);
    cd_size = rd64(e64 + 40);
    cd_off = rd64(e64 + 48);
  }
  cd_entry ep, ed;
  size_t prefix_len = 0;
  uint8_t h[ZIP_LOCAL_SIZE], hd[ZIP_LOCAL_SIZE];
  cd = malloc((size_t)cd_size);
  if (!cd || read_at(fd, cd, (size_t)cd_size, cd_off) != 0 ||
      cd_find(cd, (size_t)cd_size, entries, NULL, &prefix_len, "data.pkl",
              &ep) != 0 ||
      cd_find(cd, (size_t)cd_size, entries, ep.name, &prefix_len, "data/0",
              &ed) != 0 ||
      ep.size > (1u << 20) || read_at(fd, h, sizeof h, ep.offset) != 0 ||
      read_at(fd, hd, sizeof hd, ed.offset) != 0 || rd16(h + 8) != 0 ||
      rd16(hd + 8) != 0) {
    rc = ef_error_set(EF_EINVAL,
                      "%s: not a tensor archive this tool can read (one "
                      "uncompressed float32 storage)",
                      path);
    goto cleanup;
  }
  pkl = malloc((size_t)ep.size + 1);
  uint64_t pkl_at = ep.offset + ZIP_LOCAL_SIZE + rd16(h + 26) + rd16(h + 28);
  uint64_t dat_at = ed.offset + ZIP_LOCAL_SIZE + rd16(hd + 26) + rd16(hd + 28);
  if (!pkl || read_at(fd, pkl, (size_t)ep.size, pkl_at) != 0) {
    rc = ef_error_set(EF_ENOMEM, "cannot read %s", path);
    goto cleanup;
  }
  pkl[ep.size] = 0;
  int d = 0;
  const char *fs = "torch\nFloatStorage\n";
  int is_float = 0;
  for (size_t i = 0; i + strlen(fs) <= ep.size; i++)
    if (memcmp(pkl + i, fs, strlen(fs)) == 0)
      is_float = 1;
  if (!is_float || pk_parse_shape(pkl, (size_t)ep.size, shape, &d) != 0 ||
      d < 1) {
    rc = ef_error_set(EF_EINVAL,
                      "%s: not a contiguous float32 tensor of at least one "
                      "dimension",
                      path);
    goto cleanup;
  }
  int64_t numel = 1;
  for (int k = 0; k < d; k++) {
    if (shape[k] != 0 && numel > INT64_MAX / 4 / shape[k]) {
      rc = ef_error_set(EF_EINVAL, "%s: tensor shape is too large", path);
      goto cleanup;
    }
    numel *= shape[k];
  }
  if ((uint64_t)numel * 4 > ed.size) {
    rc = ef_error_set(EF_EINVAL, "%s: the storage is smaller than the tensor",
                      path);
    goto cleanup;
  }
  v = malloc(numel ? (size_t)numel * 4 : 1);
  if (!v || read_at(fd, v, (size_t)numel * 4, dat_at) != 0) {
    rc = ef_error_set(v ? EF_EIO : EF_ENOMEM, "cannot read %s", path);
    goto cleanup;
  }
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  for (int64_t k = 0; k < numel; k++) {
    uint32_t u = rd32((const uint8_t *)&v[k]);
    memcpy(&v[k], &u, 4);
  }
#endif
  *data = v;
  *ndim = d;
  v = NULL;
cleanup:
  if (fd >= 0)
    close(fd);
  free(v);
  free(pkl);
  free(cd);
  return rc;
}

/* ---- The format's entry (store_format.h) -------------------------------- */

static int pt_encode(const char *what, const store_output *o, void **bytes,
                     size_t *len) {
  return write_pt_encode(what, o->data, o->shape, o->ndim, bytes, len);
}

const store_format store_format_pt = {
    .ext = ".pt",
    .takes = STORE_TAKES_TENSOR,
    .encode = pt_encode,
    .complete = write_pt_complete,
    .read = write_pt_read,
    .uid_problem = NULL,
};
