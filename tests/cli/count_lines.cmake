# Fails unless FILE has exactly LINES lines, or at most MAX_LINES (as `wc -l` counts them):
#   cmake -DFILE=... -DLINES=N -P count_lines.cmake
#   cmake -DFILE=... -DMAX_LINES=N -P count_lines.cmake
file(READ "${FILE}" text)
string(REGEX MATCHALL "\n" newlines "${text}")
list(LENGTH newlines count)
if(DEFINED LINES AND NOT count EQUAL LINES)
  message(FATAL_ERROR "${FILE}: ${count} lines, expected ${LINES}")
endif()
if(DEFINED MAX_LINES AND count GREATER MAX_LINES)
  message(FATAL_ERROR "${FILE}: ${count} lines, at most ${MAX_LINES} expected")
endif()
message(STATUS "${FILE}: ${count} lines")
