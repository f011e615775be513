/* runtime.c: the configuration and its OVH client, as one reference-counted value that a
 * reload replaces atomically.
 *
 * Work in progress keeps the runtime it started with; new messages take the current one.
 * It must not hold anything a reload may lose: the memory of sent tags is tags.c's. */
#include "runtime.h"
#include "ovh_http.h"

struct Runtime {
	gint refcount;
	Cfg *cfg;
	OvhClient *ovh;
};

static GMutex current_lock;
static Runtime *current;

Runtime *runtime_new(Cfg *cfg, GError **err)
{
	OvhClient *ovh = ovh_client_new(cfg, err);
	Runtime *rt;

	if (ovh == NULL)
		return NULL;
	rt = g_new0(Runtime, 1);
	rt->refcount = 1;
	rt->cfg = cfg_ref(cfg);
	rt->ovh = ovh;
	return rt;
}

Runtime *runtime_ref(Runtime *rt)
{
	g_atomic_int_inc(&rt->refcount);
	return rt;
}

void runtime_unref(Runtime *rt)
{
	if (rt == NULL || !g_atomic_int_dec_and_test(&rt->refcount))
		return;
	ovh_client_free(rt->ovh);
	cfg_unref(rt->cfg);
	g_free(rt);
}

const Cfg *runtime_cfg(const Runtime *rt)
{
	return rt->cfg;
}

OvhClient *runtime_ovh(const Runtime *rt)
{
	return rt->ovh;
}

Runtime *runtime_current(void)
{
	Runtime *rt;

	g_mutex_lock(&current_lock);
	rt = current ? runtime_ref(current) : NULL;
	g_mutex_unlock(&current_lock);
	return rt;
}

void runtime_install(Runtime *rt)
{
	Runtime *old;

	g_mutex_lock(&current_lock);
	old = current;
	current = rt ? runtime_ref(rt) : NULL;
	g_mutex_unlock(&current_lock);
	runtime_unref(old);
}
