// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {CommonBase} from "forge-std/Base.sol";

import {KycRegistry} from "../../../contracts/compliance/KycRegistry.sol";
import {KycTier} from "../../../contracts/interfaces/IKycRegistry.sol";
import {MerchantConfig, PaymentTerms, RiskLimits, TokenConfig} from "../../../contracts/interfaces/IPaymentEscrow.sol";
import {Roles} from "../../../contracts/libraries/Roles.sol";
import {PaymentEscrow} from "../../../contracts/payments/PaymentEscrow.sol";
import {SettlementToken} from "../../../contracts/token/SettlementToken.sol";

/// @notice Signing helpers usable from tests and handlers alike (the cheatcode address is a constant).
library Signing {
    address private constant VM_ADDRESS = address(uint160(uint256(keccak256("hevm cheat code"))));

    bytes32 internal constant RECEIVE_WITH_AUTHORIZATION_TYPEHASH = keccak256(
        "ReceiveWithAuthorization(address from,address to,uint256 value,uint256 validAfter,uint256 validBefore,bytes32 nonce)"
    );
    bytes32 internal constant TRANSFER_WITH_AUTHORIZATION_TYPEHASH = keccak256(
        "TransferWithAuthorization(address from,address to,uint256 value,uint256 validAfter,uint256 validBefore,bytes32 nonce)"
    );
    bytes32 internal constant CANCEL_AUTHORIZATION_TYPEHASH =
        keccak256("CancelAuthorization(address authorizer,bytes32 nonce)");

    /// @notice A 65-byte `r || s || v` signature of `digest` by `key`.
    function sign(uint256 key, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = IVmSign(VM_ADDRESS).sign(key, digest);
        return abi.encodePacked(r, s, v);
    }

    function typedDigest(bytes32 domainSeparator, bytes32 structHash) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked("\x19\x01", domainSeparator, structHash));
    }

    /// @notice An EIP-3009 authorization signature for `token` (transfer or receive, by `typehash`).
    function sign3009(
        uint256 key,
        SettlementToken token,
        bytes32 typehash,
        address from,
        address to,
        uint256 value,
        uint256 validAfter,
        uint256 validBefore,
        bytes32 nonce
    ) internal view returns (bytes memory) {
        bytes32 structHash = keccak256(abi.encode(typehash, from, to, value, validAfter, validBefore, nonce));
        return sign(key, typedDigest(token.DOMAIN_SEPARATOR(), structHash));
    }

    /// @notice The buyer's EIP-3009 funding of `terms` (nonce = payment id) as the escrow expects it.
    function fundErc3009(uint256 key, SettlementToken token, PaymentEscrow escrow, PaymentTerms memory terms)
        internal
        view
        returns (bytes memory)
    {
        return sign3009(
            key,
            token,
            RECEIVE_WITH_AUTHORIZATION_TYPEHASH,
            terms.buyer,
            address(escrow),
            terms.amount,
            0,
            terms.preApprovalExpiry,
            escrow.paymentId(terms)
        );
    }
}

interface IVmSign {
    function sign(uint256 privateKey, bytes32 digest) external pure returns (uint8 v, bytes32 r, bytes32 s);
}

/// @notice Deploys token, registry and escrow with each role on its own address, like test/contracts/fixtures.ts:
/// two merchants (one with a partner), buyers with known keys, Institutional KYC for everyone.
abstract contract EscrowDeployment is CommonBase {
    uint256 internal constant UNIT = 1e6;
    uint48 internal constant ADMIN_DELAY = 3 days;
    uint16 internal constant MERCHANT_FEE_BPS = 250;
    uint16 internal constant PARTNER_SHARE_BPS = 2_000;
    uint16 internal constant MERCHANT2_FEE_BPS = 333;
    uint128 internal constant PER_PAYMENT = 1_000_000 * 1e6;
    uint128 internal constant PER_DAY = 1_000_000_000 * 1e6;
    uint256 internal constant BUYER_FUNDS = 1_000_000_000 * 1e6;

    address internal admin = address(0xA11CE);
    address internal operator = address(0x0BE7);
    address internal arbiter = address(0xA7B1);
    address internal pauser = address(0x9A05E);
    address internal issuer = address(0x155E);
    address internal compliance = address(0xC0C0);
    address internal treasury = address(0x7EA5);
    address internal partner = address(0x9A27);
    address internal merchant = address(0x3E7C);
    address internal settlement = address(0x5E77);
    address internal merchant2 = address(0x3E7C2);
    address internal settlement2 = address(0x5E772);

    uint256[] internal buyerKeys;
    address[] internal buyers;

    SettlementToken internal token;
    KycRegistry internal kyc;
    PaymentEscrow internal escrow;

    function _deploySystem(uint256 buyerCount) internal {
        token = new SettlementToken("Settlement USD", "SUSD", admin, ADMIN_DELAY);
        kyc = new KycRegistry(admin, ADMIN_DELAY);
        escrow = new PaymentEscrow(admin, ADMIN_DELAY, kyc, treasury);

        vm.startPrank(admin);
        token.grantRole(Roles.ISSUER, issuer);
        kyc.grantRole(Roles.COMPLIANCE, compliance);
        escrow.grantRole(Roles.OPERATOR, operator);
        escrow.grantRole(Roles.ARBITER, arbiter);
        escrow.grantRole(Roles.PAUSER, pauser);
        escrow.setToken(address(token), TokenConfig({allowed: true, largeTransactionThreshold: uint128(10_000 * UNIT)}));
        escrow.setRiskLimits(address(token), KycTier.Institutional, RiskLimits({perPayment: PER_PAYMENT, perDay: PER_DAY}));
        escrow.setMerchant(
            merchant,
            MerchantConfig({
                settlementAddress: settlement,
                feeBps: MERCHANT_FEE_BPS,
                partnerShareBps: PARTNER_SHARE_BPS,
                active: true,
                partner: partner
            })
        );
        escrow.setMerchant(
            merchant2,
            MerchantConfig({
                settlementAddress: settlement2,
                feeBps: MERCHANT2_FEE_BPS,
                partnerShareBps: 0,
                active: true,
                partner: address(0)
            })
        );
        vm.stopPrank();

        _kyc(merchant);
        _kyc(merchant2);
        for (uint256 i; i < buyerCount; ++i) {
            uint256 key = uint256(keccak256(abi.encode("buyer", i))) % (2 ** 250) + 1;
            address buyer = vm.addr(key);
            buyerKeys.push(key);
            buyers.push(buyer);
            _kyc(buyer);
            vm.prank(issuer);
            token.mint(buyer, BUYER_FUNDS, keccak256(abi.encode("wire", buyer)));
        }
    }

    function _kyc(address account) internal {
        vm.prank(compliance);
        // Far enough in the future that no warp in a campaign reaches it.
        kyc.setRecord(
            account,
            KycTier.Institutional,
            bytes2("SG"),
            uint40(block.timestamp + 100 * 365 days),
            keccak256(abi.encode("dossier", account)),
            bytes32("onboarding")
        );
    }

    /// @notice Terms for `buyer` paying `merchant_` (with that merchant's configured fees).
    function _terms(address buyer, address merchant_, uint256 amount, bytes32 orderRef)
        internal
        view
        returns (PaymentTerms memory t)
    {
        bool first = merchant_ == merchant;
        t = PaymentTerms({
            merchant: merchant_,
            buyer: buyer,
            token: address(token),
            amount: amount,
            preApprovalExpiry: uint48(block.timestamp + 1 hours),
            authorizationExpiry: uint48(block.timestamp + 7 days),
            refundExpiry: uint48(block.timestamp + 30 days),
            confirmationWindow: 3 days,
            kycTier: uint8(KycTier.Institutional),
            feeBps: first ? MERCHANT_FEE_BPS : MERCHANT2_FEE_BPS,
            partner: first ? partner : address(0),
            partnerShareBps: first ? PARTNER_SHARE_BPS : 0,
            orderRef: orderRef
        });
    }
}
