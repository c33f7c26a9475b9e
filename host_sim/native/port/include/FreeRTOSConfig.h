/* Kernel configuration of the host port: the values ESP-IDF uses with
 * CONFIG_FREERTOS_HZ=1000 (LuaSys' sdkconfig.defaults). */
#pragma once

#define configTICK_RATE_HZ 1000
#define configMAX_PRIORITIES 25
#define configTIMER_QUEUE_LENGTH 10
#define configTIMER_TASK_PRIORITY 1
#define INCLUDE_vTaskSuspend 1
