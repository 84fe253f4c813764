# SPDX-License-Identifier: Apache-2.0
# Project-wide compile settings and helpers.

# Warnings are errors everywhere in our own code.
add_compile_options(-Wall -Wextra -Werror -Wshadow -Wstrict-prototypes
                    -Wmissing-prototypes -Wpointer-arith -Wformat=2
                    -Wvla)

if(MS_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

if(MS_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "MS_FUZZ needs clang (use the 'fuzz' preset)")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

# ms_host_executable(<name> [BACKEND openssl|mbedtls] SOURCES ...)
#
# A host program linked against the portable core, one crypto backend and
# the host platform. Default backend: openssl.
function(ms_host_executable name)
  cmake_parse_arguments(ARG "" "BACKEND" "SOURCES;LIBS" ${ARGN})
  if(NOT ARG_BACKEND)
    set(ARG_BACKEND openssl)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} ms_core
                        ms_crypto_${ARG_BACKEND} ms_platform_host)
endfunction()
