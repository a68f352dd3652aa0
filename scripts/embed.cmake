# Turns the file IN into a C source OUT defining NAME[] (default zes_openapi_doc)
# and NAME_len, its length.
# Bytes are written as (char)0xNN: UTF-8 bytes above 0x7f would not fit a
# signed char without the cast (-Wconversion).
if(NOT DEFINED NAME)
	set(NAME zes_openapi_doc)
endif()
file(READ ${IN} hex HEX)
string(LENGTH "${hex}" hexlen)
math(EXPR len "${hexlen} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "(char)0x\\1," bytes "${hex}")
get_filename_component(base ${IN} NAME)
file(WRITE ${OUT} "/* Generated from ${base} by scripts/embed.cmake. */\n#include <stddef.h>\nconst char ${NAME}[] = {${bytes}0};\nconst size_t ${NAME}_len = ${len};\n")
