# Compiles every library source with clang -Wall -Wextra -Werror.
file(GLOB sources ${SRC}/src/*.c)
foreach(f ${sources})
  execute_process(COMMAND ${CLANG} -std=gnu11 -D_GNU_SOURCE -DUSLAB_VERSION_STRING="x"
                          -mcx16 -Wall -Wextra -Wshadow -Werror -fsyntax-only
                          -I${SRC}/include -I${SRC}/src ${f}
                  RESULT_VARIABLE rc)
  if(rc)
    message(FATAL_ERROR "clang warnings in ${f}")
  endif()
endforeach()
message(STATUS "clang: no warnings")
