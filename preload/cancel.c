/* cancel.c -- asynchronous cancellation never lands inside the checker.
 *
 * pthread_setcanceltype is interposed so that runtime.c knows which threads the
 * program made asynchronously cancellable: those are switched to deferred
 * cancellation for the length of each checked call (nvc_enter) and back as they leave
 * (nvc_leave), so a cancel can never kill one holding a lock of ours. The program's
 * own view -- the old type returned, when its asynchronous cancel acts outside the
 * checker -- is what it would be without us. A call from a handler that interrupted
 * the checker takes effect as that call leaves.
 */
#include "runtime.h"

#include "nvmem/export.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>

typedef int (*settype_fn)(int, int *);
static settype_fn real_settype;

static settype_fn real(void)
{
    settype_fn fn = __atomic_load_n(&real_settype, __ATOMIC_RELAXED);
    if (!fn) {
        fn = (settype_fn)dlsym(RTLD_NEXT, "pthread_setcanceltype");
        __atomic_store_n(&real_settype, fn, __ATOMIC_RELAXED);
    }
    return fn;
}

__attribute__((constructor)) static void cancel_start(void)
{
    real();
}

void nvc_cancel_real(int type)
{
    settype_fn fn = real();
    if (fn)
        fn(type, NULL);
}

NVM_EXPORT int pthread_setcanceltype(int type, int *old)
{
    settype_fn fn = real();
    int was = nvc_cancel_wanted() ? PTHREAD_CANCEL_ASYNCHRONOUS : PTHREAD_CANCEL_DEFERRED;
    if (!fn)
        return ENOSYS;
    if (type != PTHREAD_CANCEL_DEFERRED && type != PTHREAD_CANCEL_ASYNCHRONOUS)
        return fn(type, old); /* EINVAL, as the C library says it */
    if (!nvc_in_checker()) {
        int rc = fn(type, NULL); /* a pending cancel may act here, as without us */
        if (rc)
            return rc;
    }
    nvc_cancel_want(type == PTHREAD_CANCEL_ASYNCHRONOUS);
    if (old)
        *old = was;
    return 0;
}
