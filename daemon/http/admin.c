/*
 * The admin page (docs/admin.md): static HTML, CSS and JavaScript from
 * admin/, embedded at build time (scripts/embed.cmake) and served without a
 * token.  The page asks for a token and sends it from JavaScript as a bearer
 * header to the /v1 routes, which check it as usual.
 */

#include <stddef.h>

#include "zes/http.h"
#include "zes/routes.h"

extern const char	zes_admin_index_html[];
extern const size_t	zes_admin_index_html_len;
extern const char	zes_admin_admin_css[];
extern const size_t	zes_admin_admin_css_len;
extern const char	zes_admin_admin_js[];
extern const size_t	zes_admin_admin_js_len;

/*
 * The page's own policy, beside the frame-ancestors policy every answer
 * carries (a browser enforces both): everything from this origin, no
 * inline script or style, no plugins, no forms posted anywhere.
 */
#define ADMIN_CSP	"default-src 'none'; script-src 'self'; " \
	"style-src 'self'; img-src 'self'; connect-src 'self'; " \
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

static void	admin_page(struct zes_req *);
static void	admin_css(struct zes_req *);
static void	admin_js(struct zes_req *);

const struct zes_route zes_routes_admin[] = {
	{ .method = EVHTTP_REQ_GET, .path = "/admin", .handler = admin_page },
	{ .method = EVHTTP_REQ_GET, .path = "/admin/admin.css",
	  .handler = admin_css },
	{ .method = EVHTTP_REQ_GET, .path = "/admin/admin.js",
	  .handler = admin_js },
	{ 0 }
};

/* Answer one embedded file with the page's headers. */
static void
admin_reply(struct zes_req *r, const char *ctype, const char *data, size_t len)
{
	zes_req_header(r, "Content-Security-Policy", ADMIN_CSP);
	zes_req_header(r, "Referrer-Policy", "no-referrer");
	zes_req_header(r, "Cross-Origin-Opener-Policy", "same-origin");
	zes_http_reply_bytes(r, 200, ctype, data, len);
}

/* GET /admin: the page. */
static void
admin_page(struct zes_req *r)
{
	admin_reply(r, "text/html; charset=utf-8", zes_admin_index_html,
	    zes_admin_index_html_len);
}

/* GET /admin/admin.css: its style sheet. */
static void
admin_css(struct zes_req *r)
{
	admin_reply(r, "text/css; charset=utf-8", zes_admin_admin_css,
	    zes_admin_admin_css_len);
}

/* GET /admin/admin.js: its script. */
static void
admin_js(struct zes_req *r)
{
	admin_reply(r, "text/javascript; charset=utf-8", zes_admin_admin_js,
	    zes_admin_admin_js_len);
}
