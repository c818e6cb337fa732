/*
 * The functions netrig calls in libpq, libcurl, libmicrohttpd and
 * libcrypto (the server's HMAC and constant-time compares), each
 * defined under its own name as a call through the pointer that
 * nr_lazy_sym finds on its first use (lazy.h says why). The prototypes
 * come from the libraries' own headers, so the compiler checks each one
 * here against them; a function netrig starts to use is added to its
 * library's list below, or the link fails.
 */
#include <curl/curl.h>
#include <libpq-fe.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdarg.h>

#include "base/lazy.h"

/*
 * Debian 12's runtime packages, named in messages (Debian 13 renamed
 * three: libcurl4t64, libmicrohttpd12t64, libssl3t64).
 */
struct nr_lazy_lib nr_lazy_libpq = {
	.soname = "libpq.so.5", .package = "libpq5", .use = "PostgreSQL databases"
};
struct nr_lazy_lib nr_lazy_libcurl = {
	.soname = "libcurl.so.4", .package = "libcurl4",
	.use = "push, notifications and GitHub statuses"
};
struct nr_lazy_lib nr_lazy_libmicrohttpd = {
	.soname = "libmicrohttpd.so.12", .package = "libmicrohttpd12",
	.use = "the server (netrig serve)"
};
struct nr_lazy_lib nr_lazy_libcrypto = {
	.soname = "libcrypto.so.3", .package = "libssl3", .use = "tokens and webhook signatures"
};
/* the short names FUNCS below uses */
#define pq nr_lazy_libpq
#define curl nr_lazy_libcurl
#define mhd nr_lazy_libmicrohttpd
#define crypto nr_lazy_libcrypto

/* X(library, return type, name, parameters, arguments); void functions in VOIDS */
#define FUNCS(X)                                                                          \
	X(pq, int, PQcancel, (PGcancel * cancel, char *errbuf, int errbufsize),           \
	  (cancel, errbuf, errbufsize))                                                   \
	X(pq, char *, PQcmdStatus, (PGresult * res), (res))                               \
	X(pq, char *, PQcmdTuples, (PGresult * res), (res))                               \
	X(pq, PGconn *, PQconnectdb, (const char *conninfo), (conninfo))                  \
	X(pq, PGconn *, PQconnectdbParams,                                                \
	  (const char *const *keywords, const char *const *values, int expand_dbname),    \
	  (keywords, values, expand_dbname))                                              \
	X(pq, PQconninfoOption *, PQconninfo, (PGconn * conn), (conn))                    \
	X(pq, int, PQconsumeInput, (PGconn * conn), (conn))                               \
	X(pq, int, PQenterPipelineMode, (PGconn * conn), (conn))                          \
	X(pq, char *, PQerrorMessage, (const PGconn *conn), (conn))                       \
	X(pq, PGresult *, PQexec, (PGconn * conn, const char *query), (conn, query))      \
	X(pq, PGresult *, PQexecParams,                                                   \
	  (PGconn * conn, const char *command, int nParams, const Oid *paramTypes,        \
	   const char *const *paramValues, const int *paramLengths, const int *paramFormats, \
	   int resultFormat),                                                             \
	  (conn, command, nParams, paramTypes, paramValues, paramLengths, paramFormats,   \
	   resultFormat))                                                                 \
	X(pq, PGresult *, PQexecPrepared,                                                 \
	  (PGconn * conn, const char *stmtName, int nParams, const char *const *paramValues, \
	   const int *paramLengths, const int *paramFormats, int resultFormat),           \
	  (conn, stmtName, nParams, paramValues, paramLengths, paramFormats, resultFormat)) \
	X(pq, int, PQexitPipelineMode, (PGconn * conn), (conn))                           \
	X(pq, char *, PQfname, (const PGresult *res, int field_num), (res, field_num))    \
	X(pq, Oid, PQftype, (const PGresult *res, int field_num), (res, field_num))       \
	X(pq, PGcancel *, PQgetCancel, (PGconn * conn), (conn))                           \
	X(pq, PGresult *, PQgetResult, (PGconn * conn), (conn))                           \
	X(pq, int, PQgetisnull, (const PGresult *res, int tup_num, int field_num),        \
	  (res, tup_num, field_num))                                                      \
	X(pq, int, PQgetlength, (const PGresult *res, int tup_num, int field_num),        \
	  (res, tup_num, field_num))                                                      \
	X(pq, char *, PQgetvalue, (const PGresult *res, int tup_num, int field_num),      \
	  (res, tup_num, field_num))                                                      \
	X(pq, int, PQnfields, (const PGresult *res), (res))                               \
	X(pq, int, PQntuples, (const PGresult *res), (res))                               \
	X(pq, int, PQpipelineSync, (PGconn * conn), (conn))                               \
	X(pq, PGresult *, PQprepare,                                                      \
	  (PGconn * conn, const char *stmtName, const char *query, int nParams,           \
	   const Oid *paramTypes),                                                        \
	  (conn, stmtName, query, nParams, paramTypes))                                   \
	X(pq, int, PQputCopyData, (PGconn * conn, const char *buffer, int nbytes),        \
	  (conn, buffer, nbytes))                                                         \
	X(pq, int, PQputCopyEnd, (PGconn * conn, const char *errormsg), (conn, errormsg)) \
	X(pq, char *, PQresultErrorField, (const PGresult *res, int fieldcode),           \
	  (res, fieldcode))                                                               \
	X(pq, ExecStatusType, PQresultStatus, (const PGresult *res), (res))               \
	X(pq, int, PQsendPrepare,                                                         \
	  (PGconn * conn, const char *stmtName, const char *query, int nParams,           \
	   const Oid *paramTypes),                                                        \
	  (conn, stmtName, query, nParams, paramTypes))                                   \
	X(pq, int, PQsendQueryParams,                                                     \
	  (PGconn * conn, const char *command, int nParams, const Oid *paramTypes,        \
	   const char *const *paramValues, const int *paramLengths, const int *paramFormats, \
	   int resultFormat),                                                             \
	  (conn, command, nParams, paramTypes, paramValues, paramLengths, paramFormats,   \
	   resultFormat))                                                                 \
	X(pq, int, PQsendQueryPrepared,                                                   \
	  (PGconn * conn, const char *stmtName, int nParams, const char *const *paramValues, \
	   const int *paramLengths, const int *paramFormats, int resultFormat),           \
	  (conn, stmtName, nParams, paramValues, paramLengths, paramFormats, resultFormat)) \
	X(pq, PQnoticeProcessor, PQsetNoticeProcessor,                                    \
	  (PGconn * conn, PQnoticeProcessor proc, void *arg), (conn, proc, arg))          \
	X(pq, int, PQsetSingleRowMode, (PGconn * conn), (conn))                           \
	X(pq, ConnStatusType, PQstatus, (const PGconn *conn), (conn))                     \
	X(pq, PGTransactionStatusType, PQtransactionStatus, (const PGconn *conn), (conn)) \
	X(pq, unsigned char *, PQunescapeBytea,                                           \
	  (const unsigned char *strtext, size_t *retbuflen), (strtext, retbuflen))        \
	X(curl, CURL *, curl_easy_init, (void), ())                                       \
	X(curl, CURLcode, curl_easy_perform, (CURL * c), (c))                             \
	X(curl, const char *, curl_easy_strerror, (CURLcode code), (code))                \
	X(curl, CURLcode, curl_global_init, (long flags), (flags))                        \
	X(curl, struct curl_slist *, curl_slist_append,                                   \
	  (struct curl_slist * list, const char *data), (list, data))                     \
	X(mhd, enum MHD_Result, MHD_add_response_header,                                  \
	  (struct MHD_Response * response, const char *header, const char *content),      \
	  (response, header, content))                                                    \
	X(mhd, struct MHD_Response *, MHD_create_response_from_buffer,                    \
	  (size_t size, void *buffer, enum MHD_ResponseMemoryMode mode),                  \
	  (size, buffer, mode))                                                           \
	X(mhd, enum MHD_Result, MHD_is_feature_supported, (enum MHD_FEATURE feature),     \
	  (feature))                                                                      \
	X(mhd, const char *, MHD_lookup_connection_value,                                 \
	  (struct MHD_Connection * connection, enum MHD_ValueKind kind, const char *key), \
	  (connection, kind, key))                                                        \
	X(mhd, enum MHD_Result, MHD_queue_response,                                       \
	  (struct MHD_Connection * connection, unsigned int status_code,                  \
	   struct MHD_Response *response),                                                \
	  (connection, status_code, response))                                            \
	X(mhd, MHD_socket, MHD_quiesce_daemon, (struct MHD_Daemon * daemon), (daemon))      \
	X(crypto, int, CRYPTO_memcmp, (const void *in_a, const void *in_b, size_t len),    \
	  (in_a, in_b, len))                                                              \
	X(crypto, const EVP_MD *, EVP_sha256, (void), ())                                 \
	X(crypto, unsigned char *, HMAC,                                                  \
	  (const EVP_MD *evp_md, const void *key, int key_len, const unsigned char *data, \
	   size_t data_len, unsigned char *md, unsigned int *md_len),                     \
	  (evp_md, key, key_len, data, data_len, md, md_len))

#define VOIDS(X)                                                                          \
	X(pq, void, PQclear, (PGresult * res), (res))                                     \
	X(pq, void, PQconninfoFree, (PQconninfoOption * connOptions), (connOptions))      \
	X(pq, void, PQfinish, (PGconn * conn), (conn))                                    \
	X(pq, void, PQfreeCancel, (PGcancel * cancel), (cancel))                          \
	X(pq, void, PQfreemem, (void *ptr), (ptr))                                        \
	X(pq, void, PQreset, (PGconn * conn), (conn))                                     \
	X(curl, void, curl_easy_cleanup, (CURL * c), (c))                                 \
	X(curl, void, curl_slist_free_all, (struct curl_slist * list), (list))            \
	X(mhd, void, MHD_destroy_response, (struct MHD_Response * response), (response))  \
	X(mhd, void, MHD_resume_connection, (struct MHD_Connection * connection),        \
	  (connection))                                                                   \
	X(mhd, void, MHD_suspend_connection, (struct MHD_Connection * connection),       \
	  (connection))                                                                   \
	X(mhd, void, MHD_stop_daemon, (struct MHD_Daemon * daemon), (daemon))            \
	X(crypto, void, OPENSSL_cleanse, (void *ptr, size_t len), (ptr, len))

/* the name in brackets: curl's headers make some of them macros */
#define DEFINE(lib, ret, name, params, args)                                              \
	ret(name) params                                                                  \
	{                                                                                 \
		static _Atomic(void *) sym;                                               \
		ret(*f) params = (ret(*) params)nr_lazy_sym(&lib, #name, &sym);           \
		return f args;                                                            \
	}
#define DEFINE_VOID(lib, ret, name, params, args)                                         \
	ret(name) params                                                                  \
	{                                                                                 \
		static _Atomic(void *) sym;                                               \
		ret(*f) params = (ret(*) params)nr_lazy_sym(&lib, #name, &sym);           \
		f args;                                                                   \
	}
FUNCS(DEFINE)
VOIDS(DEFINE_VOID)

/*
 * The variadic ones. curl_easy_setopt's one argument has the type its
 * option's number range says (curl.h's CURLOPTTYPE_*: long, a pointer to
 * data or to a function, curl_off_t, a blob's pointer); getinfo's is a
 * pointer always. MHD_start_daemon's options go on as a va_list.
 */
CURLcode(curl_easy_setopt)(CURL *c, CURLoption option, ...)
{
	static _Atomic(void *) sym;
	CURLcode (*f)(CURL *, CURLoption, ...) =
		(CURLcode(*)(CURL *, CURLoption, ...))nr_lazy_sym(&curl, "curl_easy_setopt", &sym);
	CURLcode r;
	va_list ap;

	va_start(ap, option);
	if (option < CURLOPTTYPE_OBJECTPOINT)
		r = f(c, option, va_arg(ap, long));
	else if (option < CURLOPTTYPE_OFF_T)
		r = f(c, option, va_arg(ap, void *));
	else if (option < CURLOPTTYPE_BLOB)
		r = f(c, option, va_arg(ap, curl_off_t));
	else
		r = f(c, option, va_arg(ap, void *));
	va_end(ap);
	return r;
}

CURLcode(curl_easy_getinfo)(CURL *c, CURLINFO info, ...)
{
	static _Atomic(void *) sym;
	CURLcode (*f)(CURL *, CURLINFO, ...) =
		(CURLcode(*)(CURL *, CURLINFO, ...))nr_lazy_sym(&curl, "curl_easy_getinfo", &sym);
	CURLcode r;
	va_list ap;

	va_start(ap, info);
	r = f(c, info, va_arg(ap, void *));
	va_end(ap);
	return r;
}

struct MHD_Daemon *MHD_start_daemon(unsigned int flags, uint16_t port,
				    MHD_AcceptPolicyCallback apc, void *apc_cls,
				    MHD_AccessHandlerCallback dh, void *dh_cls, ...)
{
	static _Atomic(void *) sym;
	struct MHD_Daemon *(*f)(unsigned int, uint16_t, MHD_AcceptPolicyCallback, void *,
				MHD_AccessHandlerCallback, void *, va_list) =
		(struct MHD_Daemon * (*)(unsigned int, uint16_t, MHD_AcceptPolicyCallback, void *,
					 MHD_AccessHandlerCallback, void *, va_list))
			nr_lazy_sym(&mhd, "MHD_start_daemon_va", &sym);
	struct MHD_Daemon *r;
	va_list ap;

	va_start(ap, dh_cls);
	r = f(flags, port, apc, apc_cls, dh, dh_cls, ap);
	va_end(ap);
	return r;
}

#define ENTRY(lib, ret, name, params, args) { &lib, #name },
const struct nr__lazy_fn nr__lazy_fns[] = {
	FUNCS(ENTRY) VOIDS(ENTRY)
	{ &curl, "curl_easy_setopt" },
	{ &curl, "curl_easy_getinfo" },
	{ &mhd, "MHD_start_daemon_va" },
	{ NULL, NULL },
};
