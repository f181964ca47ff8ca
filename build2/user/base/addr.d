build2/user/base/addr.o: user/base/addr.c user/base/addr.h \
 include/wgturn.h
user/base/addr.h:
include/wgturn.h:
