package ai.sovereign.policy;

/** Personal-data entity types; the names are Presidio's where it has one, and are part of the CLI contract. */
public enum PiiType {
    KR_RRN, KR_FRN, KR_BRN, KR_CRN, KR_PASSPORT, KR_DRIVER_LICENSE, KR_HEALTH_INSURANCE, KR_BANK_ACCOUNT, KR_VEHICLE_PLATE,
    PHONE_NUMBER, EMAIL_ADDRESS, CREDIT_CARD, IP_ADDRESS, PERSON, LOCATION
}
