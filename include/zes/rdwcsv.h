/*
 * The RDW open-data CSV exports (DOMAIN.md section 8), pure: a streaming
 * RFC 4180 reader that the caller feeds bytes, header matching, and the
 * validation of one row of each file into the register's record
 * (struct zes_vehicle of zes/admit.h) or a reason it is refused.  No I/O,
 * no allocation: store/import_rdw.c reads the files and talks to the
 * database.
 */
#ifndef ZES_RDWCSV_H
#define ZES_RDWCSV_H

#include <stddef.h>
#include <stdint.h>

#include "zes/admit.h"
#include "zes/common.h"
#include "zes/plate.h"

/*
 * Bounds of one record, quotes, separators and embedded line breaks
 * included.  A real RDW row is about 1 KiB (some 90 columns of the
 * Gekentekende_voertuigen export); a record over the bound is returned
 * with ZES_CSV_TOO_LONG and its fields cut short, never stored whole.
 */
#define ZES_CSV_MAX_RECORD	(64 * 1024)	/* bytes */
#define ZES_CSV_MAX_FIELDS	1024

/* What is wrong with a record as CSV; its fields are then unreliable. */
enum zes_csv_error {
	ZES_CSV_OK = 0,
	ZES_CSV_TOO_LONG,		/* over ZES_CSV_MAX_RECORD bytes */
	ZES_CSV_TOO_MANY_FIELDS,	/* over ZES_CSV_MAX_FIELDS fields */
	ZES_CSV_UNTERMINATED,		/* the input ended inside a quoted field */
};

/* One field: len bytes at p, quotes removed, "" unescaped; no NUL after. */
struct zes_csv_field {
	const char	*p;
	size_t		 len;
};

/*
 * Reader state.  The caller allocates it (about 80 KiB), calls
 * zes_csv_init() and then zes_csv_next() with the bytes of the file in
 * chunks of any size.  The public fields describe the record that the last
 * zes_csv_next() returned; they stay valid until the next call.
 */
struct zes_csv {
	uint64_t		 line;		/* physical line it starts on, from 1 */
	enum zes_csv_error	 error;
	size_t			 nfields;
	struct zes_csv_field	 fields[ZES_CSV_MAX_FIELDS];

	/* Private to core/rdwcsv.c. */
	int			 state;
	int			 in_record;	/* a byte of the record was read */
	int			 returned;	/* the record was handed out */
	int			 last_cr;	/* the previous byte was a CR */
	unsigned		 bom;		/* BOM bytes matched; 3: past it */
	uint64_t		 cur_line;	/* physical line of the next byte */
	size_t			 raw;		/* bytes of the record so far */
	size_t			 len;		/* bytes of field data in buf */
	size_t			 field_start;	/* where in buf the field starts */
	char			 buf[ZES_CSV_MAX_RECORD];
};

/* Prepare a reader for the first byte of a file. */
void	zes_csv_init(struct zes_csv *);

/*
 * Read on from len bytes at buf.  Returns 1 when a record is complete: it
 * is in csv->line, ->error, ->nfields and ->fields, and *used says how many
 * bytes of buf were consumed (call again with the rest).  Returns 0 when all
 * of buf was consumed (*used = len) without completing one.  When the input
 * has ended call with eof set (len may be 0): a last record without a line
 * break is returned then, and 0 once nothing is left.  A UTF-8 byte-order
 * mark at the start is skipped; LF, CRLF and a lone CR end a line; lines
 * that are completely empty are skipped (they still count as lines).
 */
int	zes_csv_next(struct zes_csv *, const char *buf, size_t len, int eof,
	    size_t *used);

/* A short phrase for a record error ("line too long", ...); "" for OK. */
const char	*zes_csv_error_text(enum zes_csv_error);

/* The five exports zesctl import-rdw reads (DOMAIN.md section 8). */
enum zes_rdw_file {
	ZES_RDW_VEHICLES = 0,	/* Gekentekende_voertuigen */
	ZES_RDW_FUELS,		/* Gekentekende_voertuigen_brandstof */
	ZES_RDW_BODIES,		/* Gekentekende_voertuigen_carrosserie */
	ZES_RDW_BODY_CODES,	/* Gekentekende_voertuigen_carrosserie_specificatie */
	ZES_RDW_SPECIALS,	/* Gekentekende_voertuigen_bijzonderheden */
	ZES_RDW_NFILES
};

/*
 * The columns read from each file, as slots of struct zes_rdw_header.col.
 * Slot 0 is kenteken in every file.
 */
#define ZES_RDW_MAX_COLUMNS	6
enum {
	ZES_RDW_PLATE = 0,		/* kenteken */

	ZES_RDW_V_TYPE = 1,		/* voertuigsoort */
	ZES_RDW_V_CATEGORY,		/* europese_voertuigcategorie */
	ZES_RDW_V_MASS,			/* toegestane_maximum_massa_voertuig */
	ZES_RDW_V_FIRST_ADMISSION,	/* datum_eerste_toelating */
	ZES_RDW_V_BODY_DESCRIPTION,	/* inrichting */

	ZES_RDW_F_SEQ = 1,		/* brandstof_volgnummer */
	ZES_RDW_F_NAME,			/* brandstof_omschrijving */
	ZES_RDW_F_CLASS,		/* emissiecode_omschrijving */
	ZES_RDW_F_EURO,			/* uitlaatemissieniveau (optional) */

	ZES_RDW_B_SEQ = 1,		/* carrosserie_volgnummer (optional) */
	ZES_RDW_B_TYPE,			/* carrosserietype */

	ZES_RDW_C_SEQ = 1,		/* carrosserie_volgnummer (optional) */
	ZES_RDW_C_CODE,			/* carrosseriecode */

	ZES_RDW_S_SEQ = 1,		/* bijzonderheid_volgnummer (optional) */
	ZES_RDW_S_CODE,			/* bijzonderheid_code */
};

/* Where each column of a file is. */
struct zes_rdw_header {
	enum zes_rdw_file	file;
	/* The field index of each slot; -1: an optional column is absent. */
	int			col[ZES_RDW_MAX_COLUMNS];
	size_t			need;		/* fields a row must have */
};

/* The file's name in messages: "vehicles", "fuels", "bodies", ... */
const char	*zes_rdw_file_name(enum zes_rdw_file);

/*
 * Match the header record of a file: names compare case-insensitively with
 * spaces and underscores equal and surrounding blanks ignored, in any order;
 * other columns are ignored.  0 ok; -1 with a one-line message in err
 * naming every missing column (or the column given twice), and the file
 * must be refused as a whole.
 */
int	zes_rdw_header_parse(enum zes_rdw_file, const struct zes_csv_field *,
	    size_t nfields, struct zes_rdw_header *, char *err, size_t errlen)
	    ZES_MUSTCHECK;

/* The reason buffers the row functions fill: "bad plate (...)" etc. */
#define ZES_RDW_WHY_LEN		128

/*
 * Validate one row of the vehicles file into *out: plate (a Dutch plate,
 * zes_plate_parse), category (with the fallback of DOMAIN.md section 1 when
 * it is empty: voertuigsoort Bedrijfsauto gives N1 up to 3,500 kg, N2 up to
 * 12,000 kg, N3 above), voertuigsoort, inrichting (lower case), DET and
 * mass.  An empty DET or mass is unknown (ZES_DAY_NONE, -1).  The fields
 * the other files give are left empty (body_type "", body_code -1, no fuels,
 * no special codes).  0 ok; -1 with the reason in why, starting with one of
 * "bad plate", "no category", "bad category", "bad date", "bad mass", "bad
 * text" or "too few fields".
 */
int	zes_rdw_vehicle(const struct zes_rdw_header *,
	    const struct zes_csv_field *, size_t nfields, struct zes_vehicle *out,
	    char why[ZES_RDW_WHY_LEN]) ZES_MUSTCHECK;

/* One row of a fuels, bodies, body-codes or specials file. */
struct zes_rdw_detail {
	char		plate[ZES_PLATE_MAX + 1];	/* normalised */
	int64_t		seq;		/* volgnummer; 0 when the file has none */
	struct zes_fuel	fuel;		/* fuels */
	char		body_type[4];	/* bodies: carrosserietype, upper case */
	int		code;		/* body codes, specials: as an integer */
};

/*
 * Validate one row of a fuels, bodies, body-codes or specials file.  The
 * emission class is "Z" or "0" to "6" as registered; when
 * emissiecode_omschrijving is empty it is read from uitlaatemissieniveau
 * ("EURO 5 G" is 5, "EURO VI" is 6), and otherwise "" (unknown).  Codes
 * may lack their leading zeros ("03" and "3" are both 3).  0 ok; -1 with
 * the reason in why.
 */
int	zes_rdw_detail(const struct zes_rdw_header *,
	    const struct zes_csv_field *, size_t nfields,
	    struct zes_rdw_detail *out, char why[ZES_RDW_WHY_LEN]) ZES_MUSTCHECK;

#endif
