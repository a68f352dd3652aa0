/* The route tables of the resource files (daemon/http/<resource>.c), each ended by { 0 }. */
#ifndef ZES_ROUTES_H
#define ZES_ROUTES_H

#include "zes/http.h"

extern const struct zes_route zes_routes_ops[];
extern const struct zes_route zes_routes_audit[];
extern const struct zes_route zes_routes_access[];
extern const struct zes_route zes_routes_reference[];
extern const struct zes_route zes_routes_signing[];
extern const struct zes_route zes_routes_applications[];
extern const struct zes_route zes_routes_statistics[];
extern const struct zes_route zes_routes_exemptions[];
extern const struct zes_route zes_routes_rulesets[];
extern const struct zes_route zes_routes_recognitions[];
extern const struct zes_route zes_routes_comparisons[];
extern const struct zes_route zes_routes_admin[];

#endif
