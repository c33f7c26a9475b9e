/* esp_attr.h shim: placement attributes are meaningless on the host. */
#pragma once

#define IRAM_ATTR
#define DRAM_ATTR
