-- Found only through rtos.setPaths (the case "a module is found through a setPaths template").
return "found it"
