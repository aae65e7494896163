// libyaml's public header, from Debian's libyaml-dev.
#include <yaml.h>
