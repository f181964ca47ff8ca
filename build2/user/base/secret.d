build2/user/base/secret.o: user/base/secret.c user/base/secret.h
user/base/secret.h:
