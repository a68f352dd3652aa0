# Turns the file IN into a C source OUT defining zes_openapi_doc[] and its length.
# Bytes are written as (char)0xNN: UTF-8 bytes above 0x7f would not fit a
# signed char without the cast (-Wconversion).
file(READ ${IN} hex HEX)
string(LENGTH "${hex}" hexlen)
math(EXPR len "${hexlen} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "(char)0x\\1," bytes "${hex}")
file(WRITE ${OUT} "/* Generated from docs/openapi.json by scripts/embed.cmake. */\n#include <stddef.h>\nconst char zes_openapi_doc[] = {${bytes}0};\nconst size_t zes_openapi_doc_len = ${len};\n")
