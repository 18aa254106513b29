# Fails unless FILE has exactly LINES lines: cmake -DFILE=... -DLINES=N -P count_lines.cmake
file(STRINGS "${FILE}" lines)
list(LENGTH lines count)
if(NOT count EQUAL LINES)
  message(FATAL_ERROR "${FILE}: ${count} lines, expected ${LINES}")
endif()
