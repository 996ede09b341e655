# Turns a text file into a C++ source that defines a function returning its content, so that the
# file (schema.sql) is part of the binary and cannot go missing or drift from it at run time.
#
#   cmake -DINPUT=schema.sql -DOUTPUT=schema_sql.cpp -DNAMESPACE=dirsync::storage
#         -DFUNCTION=schema_sql -DHEADER=storage/schema.hpp -P embed_text.cmake
#
# The text goes into raw string literals. The delimiter is checked against the text, so a file that
# happens to contain it fails the build instead of producing a truncated literal. The text is cut
# into pieces at line ends, each well under the 65536 characters ISO C++ promises a literal may
# hold, and the function joins them once.
foreach(var INPUT OUTPUT NAMESPACE FUNCTION HEADER)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "embed_text.cmake: ${var} is not set")
  endif()
endforeach()

set(delimiter "dirsync_embed")
file(READ "${INPUT}" text)
if(text STREQUAL "")
  message(FATAL_ERROR "${INPUT} is empty")
endif()
string(FIND "${text}" ")${delimiter}\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${INPUT} contains \")${delimiter}\"\", which ends the raw string literal it is "
                      "embedded in: change the delimiter in cmake/embed_text.cmake")
endif()

set(max_piece 16000)
set(pieces "")
string(LENGTH "${text}" remaining)
while(remaining GREATER 0)
  if(remaining GREATER max_piece)
    string(SUBSTRING "${text}" 0 ${max_piece} head)
    string(FIND "${head}" "\n" cut REVERSE)
    if(cut EQUAL -1)
      set(cut ${max_piece})
    else()
      math(EXPR cut "${cut} + 1")
    endif()
  else()
    set(cut ${remaining})
  endif()
  string(SUBSTRING "${text}" 0 ${cut} piece)
  string(SUBSTRING "${text}" ${cut} -1 text)
  string(APPEND pieces "    R\"${delimiter}(${piece})${delimiter}\",\n")
  math(EXPR remaining "${remaining} - ${cut}")
endwhile()

get_filename_component(input_name "${INPUT}" NAME)
set(source "// Generated from ${input_name} by cmake/embed_text.cmake. Do not edit; edit ${input_name}.
#include \"${HEADER}\"

#include <string>

namespace ${NAMESPACE} {

std::string_view ${FUNCTION}()
{
  static const std::string text = [] {
    const char* const pieces[] = {
${pieces}    };
    std::string joined;
    for (const char* piece : pieces) {
      joined += piece;
    }
    return joined;
  }();
  return text;
}

} // namespace ${NAMESPACE}
")

# Only touch the output when it changes, so an unrelated edit does not recompile it.
file(WRITE "${OUTPUT}.tmp" "${source}")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
