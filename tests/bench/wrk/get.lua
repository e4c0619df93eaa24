-- wrk script for GET requests (ping, survey page): headers come from the command line (-H); only the report.
package.path = debug.getinfo(1, "S").source:match("@?(.*/)") .. "?.lua;" .. package.path
require("report")
