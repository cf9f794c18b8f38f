/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Linked with one layer's every object and only the layers below it: an upward call is an undefined symbol. */
int main(void) {
        return 0;
}
