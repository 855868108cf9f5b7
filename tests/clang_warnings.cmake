# Compiles every library and tool source with clang -Wall -Wextra -Werror
# (also -Wstrict-prototypes -Wmissing-prototypes, as the gcc build).
file(GLOB_RECURSE sources ${SRC}/src/*.c)
file(GLOB tools ${SRC}/tools/*.c)
list(APPEND sources ${tools})
list(LENGTH sources n)
if(n LESS 30)
  message(FATAL_ERROR "clang-warnings: only ${n} sources found under ${SRC}/src and tools")
endif()
set(tool_defs)
if(EXISTS /usr/include/valgrind/memcheck.h)
  set(tool_defs -DUSLAB_VALGRIND=1)
endif()
foreach(f ${sources})
  # The library's sources get _GNU_SOURCE from the build; the tools define it.
  # They are also built with base/kernel_names.h included first.
  set(gnu -D_GNU_SOURCE -include ${SRC}/src/base/kernel_names.h)
  if(f MATCHES "/tools/")
    set(gnu)
  endif()
  # A flavour library's source is built once per liburcu flavour: check
  # it as the default one (memb), where liburcu is installed.
  if(f MATCHES "/src/rcu/")
    if(NOT EXISTS /usr/include/urcu.h AND NOT EXISTS /usr/include/x86_64-linux-gnu/urcu.h)
      continue()
    endif()
    list(APPEND gnu "-DUSLAB_RCU_HEADER=<urcu/urcu-memb.h>" "-DUSLAB_RCU_NAME=\"memb\""
         -DUSLAB_RCU_SYNC=urcu_memb_synchronize_rcu -DUSLAB_RCU_ONGOING=urcu_memb_read_ongoing)
  endif()
  execute_process(COMMAND ${CLANG} -std=gnu11 ${gnu} ${tool_defs}
                          -mcx16 -Wall -Wextra -Wshadow -Wstrict-prototypes
                          -Wmissing-prototypes -Werror -fsyntax-only
                          -I${SRC}/include -I${SRC}/src ${f}
                  RESULT_VARIABLE rc)
  if(rc)
    message(FATAL_ERROR "clang warnings in ${f}")
  endif()
endforeach()
message(STATUS "clang: no warnings in ${n} sources")
