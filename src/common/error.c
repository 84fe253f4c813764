/*
 * error.c - names and messages for ms_err_t, generated from MS_ERROR_LIST.
 */
#include "meterseal/error.h"

#define MS_ERROR_TEXT_(name, text) text,
#define MS_ERROR_NAME_(name, text) #name,
static const char *const error_text[] = { MS_ERROR_LIST(MS_ERROR_TEXT_) };
static const char *const error_name[] = { MS_ERROR_LIST(MS_ERROR_NAME_) };

const char *ms_strerror(ms_err_t err)
{
    if ((unsigned)err >= (unsigned)MS_ERR_LAST_) {
        return "unknown error";
    }
    return error_text[err];
}

const char *ms_errname(ms_err_t err)
{
    if ((unsigned)err >= (unsigned)MS_ERR_LAST_) {
        return "MS_ERR_UNKNOWN";
    }
    return error_name[err];
}
